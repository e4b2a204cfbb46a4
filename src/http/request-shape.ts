import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { notJson, sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The query parameters a route takes, each at most once; any other is 400. Default: none. */
    readonly query?: readonly string[];
    /** The route takes a JSON body; without this, a request that carries a body is 400. */
    readonly body?: boolean;
  }
}

/** No parameter value is this long (an ISO instant is about 30); a longer one is a mistake. */
export const MAX_QUERY_VALUE_CHARS = 256;

export type ShapeCheck = { readonly ok: true } | { readonly ok: false; readonly message: string };

/**
 * PURE. Each parameter the route takes, at most once and as one plain value; no other parameter
 * (a typo like `folow=false` would otherwise be ignored without a word). `query` is what Fastify's
 * parser made of the query string: a repeated key is an array, `a[b]=` a key with brackets.
 */
export function checkQuery(query: unknown, allowed: readonly string[]): ShapeCheck {
  if (typeof query !== 'object' || query === null) return { ok: true };
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.includes(name)) {
      const base = /^([^[]*)\[/.exec(name)?.[1];
      if (base !== undefined && allowed.includes(base)) {
        return bad(`query parameter ${base} takes one plain value (${base}=…), not ${show(name)}`);
      }
      const takes = allowed.length === 0 ? 'none' : allowed.join(', ');
      return bad(`unknown query parameter ${show(name)}; this route takes ${takes}`);
    }
    if (Array.isArray(value)) {
      return bad(`query parameter ${name} is given ${value.length} times; give it once`);
    }
    if (typeof value !== 'string') return bad(`query parameter ${name} must be one plain value`);
    if (value.length > MAX_QUERY_VALUE_CHARS) {
      return bad(`query parameter ${name} is longer than ${MAX_QUERY_VALUE_CHARS} characters`);
    }
  }
  return { ok: true };
}

/** PURE. Whether the request carries a body (`Content-Length: 0` does not count). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  if (headers['transfer-encoding'] !== undefined) return true;
  return length !== undefined && !/^\s*0+\s*$/.test(length);
}

/**
 * Checks every routed request against its route's `config` (query, body) before the body is read.
 * Registered after the access check, so a client without the token learns nothing here. Unrouted
 * requests pass: the not-found handler answers those with 404 or 405.
 */
export function registerRequestShape(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    const route = req.routeOptions.url;
    if (route === undefined) return;
    const { config } = req.routeOptions;
    const query = checkQuery(req.query, config.query ?? []);
    if (!query.ok) return sendError(reply, 'bad_request', query.message);
    if (config.body !== true && hasBody(req.headers)) {
      // The same answer as on a route that takes a body: what is not JSON is 415 everywhere.
      const type = req.headers['content-type'];
      if (!isJson(type)) return sendError(reply, 'unsupported_media_type', notJson(type));
      return sendError(reply, 'bad_request', `${req.method} ${route} takes no body`);
    }
  });
}

/** PURE. `application/json`, any case, with or without parameters (as Fastify's parser takes). */
export function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*application\/json\s*(;|$)/i.test(contentType);
}

function bad(message: string): ShapeCheck {
  return { ok: false, message };
}

function show(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}
