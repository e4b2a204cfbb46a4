import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { sendError } from './errors.js';
import { hostForHeader } from './loopback.js';

/** Who may use the API, as configured: where the daemon is bound and its token, if any. */
export interface HttpSecurity {
  /** The configured `[http] host`. */
  readonly host: string;
  /**
   * The bearer token every route but /health and the metrics needs (the configured one, else
   * `<state dir>/api-token`); undefined only in in-memory tests. Replaced in place on rotation.
   */
  token: string | undefined;
}

/** The parts of a request the access decision looks at. */
export interface AccessRequest {
  readonly method: string;
  /** The matched route pattern (`/api/v1/hooks/:agent`); undefined when no route matched. */
  readonly route: string | undefined;
  /** The path asked for, without the query: what an unmatched request is judged by. */
  readonly path?: string | undefined;
  readonly host: string | undefined;
  readonly origin: string | undefined;
  readonly authorization: string | undefined;
}

export interface AccessPolicy {
  /** Host header values that name this daemon, lowercase (see allowedHosts). */
  readonly allowedHosts: ReadonlySet<string>;
  readonly token: string | undefined;
}

export type AccessDecision =
  | { readonly kind: 'allow' }
  | { readonly kind: 'forbidden'; readonly message: string }
  | { readonly kind: 'unauthorized'; readonly message: string };

export const HOOK_ROUTE = '/api/v1/hooks/:agent';
/** Open without the token: liveness probes and Prometheus scrapes read nothing private. */
const OPEN_ROUTES = new Set(['/health', '/api/v1/metrics']);
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * PURE. Host and Origin first (DNS rebinding, cross-site browsers: no token helps there), then
 * the token for the routes that need one. The README's "Security" table is this function.
 */
export function decideAccess(req: AccessRequest, policy: AccessPolicy): AccessDecision {
  const host = req.host?.toLowerCase();
  if (host === undefined || !policy.allowedHosts.has(host)) {
    return { kind: 'forbidden', message: `Host ${show(req.host)} is not this daemon's address` };
  }
  if (req.origin !== undefined && !originAllowed(req.origin, policy.allowedHosts)) {
    return { kind: 'forbidden', message: `Origin ${show(req.origin)} may not use this API` };
  }
  // Loopback is no boundary (other users and sandboxed processes reach it too); the state
  // directory, which only the user can read, is: the token lives there.
  if (policy.token === undefined || !needsToken(req)) return { kind: 'allow' };
  if (bearerMatches(req.authorization, policy.token)) return { kind: 'allow' };
  const problem = req.authorization === undefined ? 'needs' : 'got a wrong or malformed';
  return {
    kind: 'unauthorized',
    message:
      `${req.method} ${req.route ?? 'here'} ${problem} Authorization: Bearer <token> ` +
      '(`palingenesis token` prints it)',
  };
}

function needsToken(req: AccessRequest): boolean {
  // An open path stays open when its route is off (metrics disabled: a plain 404, as AC4 says).
  const name = req.route ?? req.path;
  return !(SAFE_METHODS.has(req.method) && name !== undefined && OPEN_ROUTES.has(name));
}

function originAllowed(origin: string, allowedHosts: ReadonlySet<string>): boolean {
  const lower = origin.toLowerCase();
  return lower.startsWith('http://') && allowedHosts.has(lower.slice('http://'.length));
}

/** Constant time: both sides are hashed to equal-length digests, so not even length leaks. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const given = /^Bearer +(\S+) *$/i.exec(authorization ?? '')?.[1];
  if (given === undefined) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/**
 * PURE. The Host values that name this daemon: loopback by IP and by name, the configured host,
 * and the address the connection arrived at (what a client on the network types when the daemon
 * is bound to 0.0.0.0).
 */
export function allowedHosts(
  configuredHost: string,
  port: number,
  localAddress: string | undefined,
): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]', hostForHeader(configuredHost)];
  if (localAddress !== undefined) names.push(hostForHeader(localAddress));
  const hosts = new Set(names.map((name) => `${name}:${port}`));
  if (port === 80) for (const name of names) hosts.add(name); // the default port goes unsaid
  return hosts;
}

function show(value: string | undefined): string {
  if (value === undefined) return '(none)';
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/** Every request passes here before routing, body parsing or anything else. */
export function registerSecurity(app: FastifyInstance, security: HttpSecurity, log: Logger): void {
  app.addHook('onRequest', async (req, reply) => {
    // In-memory inject() has no TCP socket: port 80, like its default Host (localhost:80).
    const port = req.socket.localPort ?? 80;
    const policy = {
      allowedHosts: allowedHosts(security.host, port, req.socket.localAddress),
      token: security.token,
    };
    const decision = decideAccess(accessRequest(req), policy);
    if (decision.kind === 'allow') return;
    log.debug({ method: req.method, url: req.url, refused: decision.kind }, decision.message);
    if (decision.kind === 'unauthorized') reply.header('www-authenticate', 'Bearer');
    return sendError(reply, decision.kind, decision.message);
  });
}

function accessRequest(req: FastifyRequest): AccessRequest {
  return {
    method: req.method,
    route: req.routeOptions.url,
    path: req.url.split('?')[0],
    host: req.headers.host,
    origin: req.headers.origin,
    authorization: req.headers.authorization,
  };
}
