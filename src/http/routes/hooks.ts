import type { FastifyInstance } from 'fastify';
import { sendError } from '../errors.js';
import { SESSIONS_PER_ADDRESS, type HookLimiter } from '../hook-limiter.js';

/** Why a hook post was turned away, for a counter. A 404 (unknown agent) or a 401/403 is not one. */
export type HookRefusal = 'rate_limited' | 'too_large' | 'bad_payload';

/**
 * What became of a hook payload handed to the daemon. `accepted`: on disk, and with its agent (202);
 * `disabled`: that agent is off, dropped (202, `accepted: false`); `busy`: too many are waiting
 * (429 with Retry-After); `too_large`: larger than the daemon ever keeps (413); `unavailable`: it
 * could not be stored (503). Whatever is not 2xx the forwarder spools and sends again.
 */
export type HookAcceptance =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'disabled' }
  | { readonly kind: 'busy'; readonly retryAfterSeconds: number; readonly message: string }
  | { readonly kind: 'too_large'; readonly message: string }
  | { readonly kind: 'unavailable'; readonly message: string };

export interface HookIntake {
  /** The agents that post hooks (registry: `hookIntake`); any other name is 404. */
  readonly agents: readonly string[];
  /** Takes an agent's hook payload (a JSON object); resolves once it is persisted, or why not. */
  readonly accept: (agent: string, payload: object) => Promise<HookAcceptance>;
  readonly limiter: HookLimiter;
  readonly hooksPerSecond: number;
  readonly now: () => number;
  /** `agent` is the path's agent when it is one of `agents`, else `unknown`. */
  readonly onRefused: (agent: string, reason: HookRefusal) => void;
}

/**
 * `POST /api/v1/hooks/{agent}`: what the hook forwarder posts (the agent's hook payload, as is).
 * 202 once persisted (the forwarder then drops its copy); a disabled agent's payload is
 * acknowledged and dropped (the forwarder would otherwise spool it forever). Over the rate limit
 * (see createHookLimiter) 429 with Retry-After; see HookAcceptance for the rest.
 */
export function hookRoutes(app: FastifyInstance, intake: HookIntake): void {
  const known = new Set(intake.agents);
  const source = (agent: string | undefined): string =>
    agent !== undefined && known.has(agent) ? agent : 'unknown';
  app.post<{ Params: { agent: string } }>(
    '/api/v1/hooks/:agent',
    {
      config: { body: true },
      // Bodies refused before the handler runs (too large, not JSON) count too, whatever the agent.
      onError: (req, _reply, error, done) => {
        const status = error.statusCode ?? 500;
        const agent = source(req.params.agent);
        if (status === 413) intake.onRefused(agent, 'too_large');
        else if (status >= 400 && status < 500) intake.onRefused(agent, 'bad_payload');
        done();
      },
    },
    async (req, reply) => {
      const { agent } = req.params;
      if (!known.has(agent)) {
        return sendError(
          reply,
          'not_found',
          `no hook intake for agent ${JSON.stringify(agent.slice(0, 64))}; known: ` +
            (intake.agents.length === 0 ? 'none' : intake.agents.join(', ')),
        );
      }
      const payload = req.body;
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        intake.onRefused(agent, 'bad_payload');
        return sendError(reply, 'bad_request', 'the hook payload must be a JSON object');
      }
      const sessionId = 'session_id' in payload ? payload.session_id : undefined;
      const admission = intake.limiter.admit(req.ip, sessionId, intake.now());
      if (!admission.ok) {
        intake.onRefused(agent, 'rate_limited');
        return sendError(
          reply.header('retry-after', String(admission.retryAfterSeconds)),
          'too_many_requests',
          `hook posts from this session are over ${intake.hooksPerSecond} a second, or from ` +
            `its address over ${intake.hooksPerSecond * SESSIONS_PER_ADDRESS} ` +
            `([limits] hooks_per_second); retry in ${admission.retryAfterSeconds} s`,
        );
      }
      const outcome = await intake.accept(agent, payload);
      switch (outcome.kind) {
        case 'accepted':
        case 'disabled':
          return reply.code(202).send({ accepted: outcome.kind === 'accepted' });
        case 'busy':
          return sendError(
            reply.header('retry-after', String(outcome.retryAfterSeconds)),
            'too_many_requests',
            outcome.message,
          );
        case 'too_large':
          return sendError(reply, 'payload_too_large', outcome.message);
        case 'unavailable':
          return sendError(reply, 'hook_write_failed', outcome.message);
      }
    },
  );
}
