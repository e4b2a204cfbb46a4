import type { FastifyInstance } from 'fastify';
import { sendError } from '../errors.js';

const AGENTS = new Set(['claude-code']);

/**
 * `POST /api/v1/hooks/{agent}`: what the hook forwarder posts (the agent's hook payload, as is).
 * 202 once queued; a disabled agent's payload is acknowledged and dropped (the forwarder would
 * otherwise spool it forever).
 */
export function hookRoutes(
  app: FastifyInstance,
  accept: (agent: string, payload: unknown) => boolean,
): void {
  app.post<{ Params: { agent: string } }>('/api/v1/hooks/:agent', async (req, reply) => {
    const { agent } = req.params;
    if (!AGENTS.has(agent)) {
      return sendError(
        reply,
        'not_found',
        `no hook intake for agent "${agent}"; known: claude-code`,
      );
    }
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
      return sendError(reply, 'bad_request', 'the hook payload must be a JSON object');
    }
    const accepted = accept(agent, req.body);
    return reply.code(202).send({ accepted });
  });
}
