import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import type { Logger } from 'pino';
import type { EventStream } from '../events/stream.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { DaemonControl, DaemonInfo } from './control.js';
import { codeForClientStatus, sendError } from './errors.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { hookRoutes } from './routes/hooks.js';
import { metricsRoutes } from './routes/metrics.js';
import { sessionControlRoutes } from './routes/session-control.js';
import { statusRoutes } from './routes/status.js';
import { registerSecurity, type HttpSecurity } from './security.js';

export interface HttpDeps {
  readonly info: DaemonInfo;
  readonly control: DaemonControl;
  /** Absent when `[otel] metrics_enabled = false`. */
  readonly metrics?: Metrics | undefined;
  readonly log: Logger;
  /** Takes an agent's hook payload; false when that agent is not enabled. */
  readonly hooks?: ((agent: string, payload: unknown) => boolean) | undefined;
  /** The live event stream (`GET /api/v1/events`); absent in tests that do not need it. */
  readonly events?: EventStream | undefined;
  /** Bind host and token; absent (in-memory tests): loopback, no token. Host checks always run. */
  readonly security?: HttpSecurity | undefined;
}

const BODY_LIMIT_BYTES = 64 * 1024;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function createHttpApp(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, return503OnClosing: true });
  registerSecurity(app, deps.security ?? { host: '127.0.0.1', token: undefined }, deps.log);
  // Bodies are JSON or nothing: a text/plain POST is what a cross-site form can send unprompted.
  app.removeContentTypeParser('text/plain');
  const routes = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const known = routes.get(route.url) ?? new Set<string>();
    for (const method of methods) known.add(method);
    routes.set(route.url, known);
  });

  healthRoutes(app, deps.info);
  statusRoutes(app, deps.info, deps.control);
  sessionControlRoutes(app, deps.control);
  if (deps.metrics) metricsRoutes(app, deps.metrics);
  if (deps.hooks) hookRoutes(app, deps.hooks);
  if (deps.events) eventRoutes(app, deps.events);

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
        `${req.method} is not allowed on ${path}; use ${allow}`,
      );
    }
    return sendError(reply, 'not_found', `no route for ${req.method} ${path}`);
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendError(reply, codeForClientStatus(status), error.message);
    }
    deps.log.error({ err: error, method: req.method, url: req.url }, 'request failed');
    return sendError(reply, 'internal', 'internal error; see the daemon log');
  });

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
