import { once } from 'node:events';
import {
  Agent,
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createWaiters } from './waiters.js';

/** What the proxy did with one request: passed it on (the upstream's status) or failed it. */
export interface ProxiedRequest {
  /** 1-based, in the order answers began. */
  readonly seq: number;
  /** When the answer's status was known (the upstream's headers, or the injected fault). */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  /** 0 when the upstream could not be reached. */
  readonly status: number;
  readonly faulted: boolean;
}

/** An answer the proxy gives itself instead of passing the request on. */
export interface Fault {
  readonly status: number;
  readonly body: unknown;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: configure this instead of the upstream's URL. */
  readonly url: string;
  requests(): readonly ProxiedRequest[];
  /** The first request from index `from` on that matches, as it is answered; bounded. */
  waitFor(
    predicate: (r: ProxiedRequest) => boolean,
    timeoutMs: number,
    from?: number,
  ): Promise<ProxiedRequest>;
  /** Closes the server, every connection through it and the upstream pool; idempotent. */
  close(): Promise<void>;
}

// Hop-by-hop headers belong to one connection, not to the request being passed on.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade']);

/**
 * A reverse proxy on 127.0.0.1 in front of an HTTP server (event streams included), which answers
 * the requests `fault` picks with an error of its own, as a flaky link or a restarting server
 * would. Everything else is passed through unchanged and streamed as it arrives.
 */
export async function startFaultProxy(
  upstreamUrl: string,
  fault: (request: { method: string; path: string }) => Fault | undefined,
): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  const agent = new Agent({ keepAlive: true });
  const recorded: ProxiedRequest[] = [];
  const waiters = createWaiters<ProxiedRequest>();
  const record = (method: string, path: string, status: number, faulted: boolean): void => {
    recorded.push({ seq: recorded.length + 1, at: Date.now(), method, path, status, faulted });
    waiters.notify(recorded);
  };

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const injected = fault({ method, path });
    if (injected !== undefined) {
      req.resume();
      res
        .writeHead(injected.status, { 'content-type': 'application/json' })
        .end(JSON.stringify(injected.body));
      record(method, path, injected.status, true);
      return;
    }
    const headers = { ...passOn(req.headers), host: upstream.host };
    const options = { hostname: upstream.hostname, port: upstream.port, method, path, headers };
    const up = request({ ...options, agent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, passOn(upRes.headers));
      res.flushHeaders();
      record(method, path, upRes.statusCode ?? 502, false);
      upRes.on('error', () => res.destroy());
      upRes.pipe(res);
    });
    up.on('error', () => {
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(502).end();
        record(method, path, 0, false);
      }
    });
    // A client that goes away (a killed daemon) must not leave its stream open upstream.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  };

  const server = createServer(forward);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests: () => [...recorded],
    waitFor: (predicate, timeoutMs, from = 0) =>
      waiters.wait(
        recorded,
        (all) => all.slice(from).find(predicate),
        timeoutMs,
        'a matching proxied request',
      ),
    close: () =>
      (closed ??= (async () => {
        waiters.rejectAll(new Error('the proxy closed'));
        const done = once(server, 'close');
        server.close();
        server.closeAllConnections();
        agent.destroy();
        await done;
      })()),
  };
}

function passOn(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())),
  );
}
