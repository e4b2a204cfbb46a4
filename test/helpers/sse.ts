import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { createWaiters } from './waiters.js';

export interface SseConnection {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Every event received so far, in order. */
  readonly messages: EventSourceMessage[];
  /** Every comment line received so far (without the colon), pings included. */
  readonly comments: string[];
  /** Resolves once `count` events have arrived; bounded. */
  waitForMessages(count: number, timeoutMs?: number): Promise<EventSourceMessage[]>;
  /** The first event from index `from` on that matches, as it arrives; rejects when the stream ends. */
  waitFor(
    predicate: (message: EventSourceMessage) => boolean,
    timeoutMs: number,
    from?: number,
  ): Promise<EventSourceMessage>;
  /** Resolves when the server ends the stream; bounded. */
  ended(timeoutMs?: number): Promise<void>;
  /** Drops the connection (its socket is destroyed: nothing is pooled or kept alive). */
  close(): void;
}

/**
 * A raw SSE reader on node:http with no agent, independent of the CLI's own client. Not fetch:
 * undici opens a spare pooled connection when a streamed body is aborted, and a server closing
 * down then waits for that idle socket's keep-alive timeout.
 */
export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseConnection> {
  const messages: EventSourceMessage[] = [];
  const comments: string[] = [];
  const waiters = createWaiters<EventSourceMessage>();
  const parser = createParser({
    onEvent: (message) => {
      messages.push(message);
      waiters.notify(messages);
    },
    onComment: (comment) => comments.push(comment.trim()),
  });
  let done = false;
  const req = request(url, { agent: false, headers });
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    parser.feed(chunk);
  });
  const finish = (): void => {
    done = true;
    waiters.rejectAll(new Error('the event stream ended'));
  };
  res.once('end', finish);
  res.once('close', finish);
  res.once('error', finish);

  const until = async (what: string, ok: () => boolean, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; got ${messages.length} events`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    messages,
    comments,
    async waitForMessages(count, timeoutMs = 5000) {
      await until(`${count} events`, () => messages.length >= count, timeoutMs);
      return messages.slice(0, count);
    },
    waitFor(predicate, timeoutMs, from = 0) {
      const find = (all: readonly EventSourceMessage[]): EventSourceMessage | undefined =>
        all.slice(from).find(predicate);
      const found = find(messages);
      if (found !== undefined) return Promise.resolve(found);
      if (done) return Promise.reject(new Error('the event stream ended'));
      return waiters.wait(messages, find, timeoutMs, 'a matching event');
    },
    async ended(timeoutMs = 5000) {
      await until('the end of the stream', () => done, timeoutMs);
    },
    close() {
      req.destroy();
    },
  };
}
