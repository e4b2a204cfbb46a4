import type { FastifyReply } from 'fastify';

/** The one table from API error code to HTTP status. Each status means one thing. */
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
  unsupported_media_type: 415,
  internal: 500,
  shutting_down: 503,
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
    case 415:
      return 'unsupported_media_type';
    default:
      return 'bad_request';
  }
}
