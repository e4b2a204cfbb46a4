import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import type { Logger } from 'pino';
import type { EventStream } from '../events/stream.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { DaemonControl, DaemonInfo } from './control.js';
import { clientFault, sendError, type FaultLimits } from './errors.js';
import { createHookLimiter } from './hook-limiter.js';
import { registerRequestShape } from './request-shape.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { AGENT_LIST } from '../agents/registry.js';
import { configRoutes, type ReloadAnswer } from './routes/config.js';
import { hookRoutes, type HookAcceptance, type HookRefusal } from './routes/hooks.js';
import { metricsRoutes } from './routes/metrics.js';
import { MAX_SESSION_ID_CHARS, sessionControlRoutes } from './routes/session-control.js';
import { statusRoutes } from './routes/status.js';
import { tokenRoutes, type TokenRotation } from './routes/token.js';
import { registerSecurity, type HttpSecurity } from './security.js';
import type { StoreHealth } from '../resume/store.js';

export interface HttpDeps {
  readonly info: DaemonInfo;
  /** Whether the state file can be written: `/health` answers 503 while it cannot. */
  readonly storeHealth?: (() => StoreHealth) | undefined;
  readonly control: DaemonControl;
  /** Absent when `[otel] metrics_enabled = false`. */
  readonly metrics?: Metrics | undefined;
  readonly log: Logger;
  /** Persists an agent's hook payload and hands it to the agent (see HookAcceptance). */
  readonly hooks?: ((agent: string, payload: object) => Promise<HookAcceptance>) | undefined;
  /** The live event stream (`GET /api/v1/events`); absent in tests that do not need it. */
  readonly events?: EventStream | undefined;
  /** Bind host and token; absent (in-memory tests): loopback, no token. Host checks always run. */
  readonly security?: HttpSecurity | undefined;
  /** `POST /api/v1/config/reload`; absent: no such route (no config file, in-memory tests). */
  readonly reload?: (() => Promise<ReloadAnswer>) | undefined;
  /** `POST /api/v1/token/rotate`; absent: no such route (in-memory tests). */
  readonly rotateToken?: (() => Promise<TokenRotation>) | undefined;
  /** `[limits] max_body_bytes`: a larger request body is 413. Default 256 KiB. */
  readonly maxBodyBytes?: number | undefined;
  /** `[limits] hooks_per_second`: per session, and 10× per address (see hook-limiter.ts). */
  readonly hooksPerSecond?: number | undefined;
  /** Counts each hook post turned away (a metric); an unknown agent or a bad token is not one. */
  readonly onHookRefused?: ((agent: string, reason: HookRefusal) => void) | undefined;
  /** Epoch ms, for rate limits and `since=10m`; tests pass a controllable one. */
  readonly now?: (() => number) | undefined;
  /** Told about every request that ended in a 500 (a real fault), for the error counter. */
  readonly onInternalError?: (() => void) | undefined;
  /** Connections held open at once (`[limits] max_connections`); more are closed at accept. */
  readonly maxConnections?: number | undefined;
}

/** The `[limits]` defaults, for callers (tests) that do not pass them. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
export const DEFAULT_HOOKS_PER_SECOND = 20;
export const DEFAULT_MAX_CONNECTIONS = 256;
/**
 * A client gets this long to send its headers, and its whole request: a local process that opens
 * sockets and sends nothing (or a byte a minute) cannot hold them, and the daemon's file
 * descriptors, for long. Streams are unaffected: these bound the request, not the response.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function createHttpApp(deps: HttpDeps): FastifyInstance {
  const limits: FaultLimits = {
    maxBodyBytes: deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxParamLength: MAX_SESSION_ID_CHARS,
  };
  const now = deps.now ?? Date.now;
  const app = Fastify({
    logger: false,
    bodyLimit: limits.maxBodyBytes,
    return503OnClosing: true,
    requestTimeout: REQUEST_TIMEOUT_MS,
    routerOptions: { maxParamLength: limits.maxParamLength },
    // Bad percent-encoding and overlong segments are refused by the router, before any hook.
    frameworkErrors: (error, req, reply) => {
      const fault = clientFault(error, limits, req.headers['content-type']);
      if (fault === undefined) {
        deps.log.error({ err: error, method: req.method }, 'routing failed');
        deps.onInternalError?.();
      }
      void sendError(
        reply,
        fault?.code ?? 'internal',
        fault?.message ?? 'internal error; see the daemon log',
      );
    },
  });
  registerSecurity(app, deps.security ?? { host: '127.0.0.1', token: undefined }, deps.log);
  registerRequestShape(app);
  // Bodies are JSON or nothing: a text/plain POST is what a cross-site form can send unprompted.
  app.removeContentTypeParser('text/plain');
  const routes = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const known = routes.get(route.url) ?? new Set<string>();
    for (const method of methods) known.add(method);
    routes.set(route.url, known);
  });

  healthRoutes(app, deps.info, deps.storeHealth);
  statusRoutes(app, deps.info, deps.control);
  sessionControlRoutes(app, deps.control);
  if (deps.metrics) metricsRoutes(app, deps.metrics);
  if (deps.hooks) {
    const hooksPerSecond = deps.hooksPerSecond ?? DEFAULT_HOOKS_PER_SECOND;
    hookRoutes(app, {
      agents: AGENT_LIST.filter((agent) => agent.hookIntake === true).map((agent) => agent.kind),
      accept: deps.hooks,
      limiter: createHookLimiter({ hooksPerSecond }),
      hooksPerSecond,
      now,
      onRefused: deps.onHookRefused ?? (() => undefined),
    });
  }
  if (deps.events) eventRoutes(app, deps.events, now);
  if (deps.rotateToken) tokenRoutes(app, deps.rotateToken);
  if (deps.reload) configRoutes(app, deps.reload);

  // A known path asked with another method is 405 with Allow, not 404. Routes are all
  // registered above, so the table is complete before the server answers anything.
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? req.url;
    const allowed = routes.get(path) ?? parametric(routes, path);
    if (allowed && !allowed.has(req.method)) {
      const allow = METHODS.filter((m) => allowed.has(m)).join(', ');
      return sendError(
        reply.header('allow', allow),
        'method_not_allowed',
        `${req.method} is not allowed on ${clip(path)}; use ${allow}`,
      );
    }
    return sendError(reply, 'not_found', `no route for ${clip(req.method)} ${clip(path)}`);
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const fault = clientFault(error, limits, req.headers['content-type']);
    if (fault !== undefined) return sendError(reply, fault.code, fault.message);
    deps.log.error({ err: error, method: req.method, url: clip(req.url) }, 'request failed');
    deps.onInternalError?.();
    return sendError(reply, 'internal', 'internal error; see the daemon log');
  });

  // Beyond this many open connections new ones are closed at once: a flood of idle sockets costs
  // the API, never the file descriptors the daemon needs for its state, logs and agents.
  app.server.maxConnections = deps.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  app.server.headersTimeout = HEADERS_TIMEOUT_MS;
  return app;
}

/** The methods of a route with `:param` segments that matches the path, if any. */
function parametric(routes: Map<string, Set<string>>, path: string): Set<string> | undefined {
  const segments = path.split('/');
  for (const [pattern, methods] of routes) {
    if (!pattern.includes(':')) continue;
    const parts = pattern.split('/');
    if (parts.length !== segments.length) continue;
    if (parts.every((p, i) => (p.startsWith(':') ? segments[i] !== '' : p === segments[i])))
      return methods;
  }
  return undefined;
}

/** A path as messages and logs show it: a megabyte of junk is not worth echoing. */
function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
