import type { FastifyError, FastifyReply } from 'fastify';

/** The one table from API error code to HTTP status. Each status means one thing (503: not now). */
export const HTTP_STATUS = {
  bad_request: 400,
  /** No or a wrong bearer token on a route that needs one (sent with `WWW-Authenticate`). */
  unauthorized: 401,
  /** A foreign Host or Origin: DNS rebinding or a browser on another site. No token helps. */
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  /** A path segment longer than the router takes (no session id is that long). */
  uri_too_long: 414,
  unsupported_media_type: 415,
  /** Over a rate limit (hook intake); sent with `Retry-After`. */
  too_many_requests: 429,
  internal: 500,
  /** Unavailable for now: the daemon is stopping. */
  shutting_down: 503,
  /** Unavailable for now: the state file cannot be written, so nothing was changed. */
  state_write_failed: 503,
  /** Unavailable for now: a hook could not be stored in the hook inbox, so it was not taken. */
  hook_write_failed: 503,
} as const;

export type ApiErrorCode = keyof typeof HTTP_STATUS;

export interface ApiErrorBody {
  readonly error: { readonly code: ApiErrorCode; readonly message: string };
}

export function sendError(reply: FastifyReply, code: ApiErrorCode, message: string): FastifyReply {
  const body: ApiErrorBody = { error: { code, message } };
  return reply.code(HTTP_STATUS[code]).send(body);
}

/** Maps a 4xx status raised inside Fastify (bad JSON, body too large, …) to our error code. */
export function codeForClientStatus(status: number): ApiErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 414:
      return 'uri_too_long';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'too_many_requests';
    default:
      return 'bad_request';
  }
}

export interface ClientFault {
  readonly code: ApiErrorCode;
  readonly message: string;
}

/** What the messages below name; the same numbers Fastify was given. */
export interface FaultLimits {
  readonly maxBodyBytes: number;
  readonly maxParamLength: number;
}

/**
 * PURE. What to tell the client about an error Fastify raised around a handler (routing, body
 * parsing); undefined when it is a real fault, for a 500. Messages never echo the request's path.
 */
export function clientFault(
  error: FastifyError,
  limits: FaultLimits,
  contentType: string | undefined,
): ClientFault | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        code: 'payload_too_large',
        message: `the request body is over the ${limits.maxBodyBytes}-byte limit ([limits] max_body_bytes)`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type', message: notJson(contentType) };
    case 'FST_ERR_BAD_URL':
      return { code: 'bad_request', message: 'the path is not valid percent-encoded UTF-8' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        code: 'uri_too_long',
        message: `a path segment is longer than ${limits.maxParamLength} characters`,
      };
  }
  const status = error.statusCode ?? 500;
  if (status < 400 || status >= 500) return undefined;
  return { code: codeForClientStatus(status), message: clip(error.message) };
}

export function notJson(contentType: string | undefined): string {
  const sent = contentType === undefined ? 'none' : JSON.stringify(clip(contentType));
  return `a body must be JSON (Content-Type: application/json), not ${sent}`;
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
