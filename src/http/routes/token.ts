import type { FastifyInstance } from 'fastify';
import { sendError } from '../errors.js';

/** What rotating the API token came to; the new token itself never travels in a response. */
export type TokenRotation =
  { readonly ok: true; readonly file: string } | { readonly ok: false; readonly message: string };

/**
 * `POST /api/v1/token/rotate`: a new random token replaces the old one at once (the old one is
 * refused from the next request on); local clients read the new one from the token file.
 */
export function tokenRoutes(app: FastifyInstance, rotate: () => Promise<TokenRotation>): void {
  app.post('/api/v1/token/rotate', async (_req, reply) => {
    const result = await rotate();
    if (!result.ok) return sendError(reply, 'conflict', result.message);
    return reply.send({ rotated: true, file: result.file });
  });
}
