import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SessionCommand } from '../../resume/engine.js';
import type { DaemonControl } from '../control.js';
import { sendError } from '../errors.js';
import { sessionJson } from './status.js';

/** Longer than any agent's session id; the router's path-segment cap (server.ts) is the same. */
export const MAX_SESSION_ID_CHARS = 256;

const COMMANDS: Readonly<Record<string, SessionCommand>> = {
  pause: 'pause',
  resume: 'resume',
  wake: 'wake',
  cancel: 'cancel',
};
// What no agent's session id holds: nothing, control characters (a log line's end), a novel.
const sessionIdSchema = z
  .string()
  .min(1)
  .max(MAX_SESSION_ID_CHARS)
  .regex(/^[^\p{Cc}]*$/u);
const newSessionBody = z.strictObject({ session: sessionIdSchema });

/**
 * `POST /api/v1/sessions/{id}/pause|resume|wake|cancel` and `POST /api/v1/new-session`:
 * 200 with the session as it is now; 404 unknown session; 409 when the command does not apply.
 */
export function sessionControlRoutes(app: FastifyInstance, control: DaemonControl): void {
  const run = async (sessionId: string, command: SessionCommand, reply: FastifyReply) => {
    const result = await control.command(sessionId, command);
    if (!result.ok) return sendError(reply, result.error, result.message);
    return reply.send({ session: sessionJson(result.session) });
  };
  for (const [name, command] of Object.entries(COMMANDS)) {
    app.post<{ Params: { id: string } }>(`/api/v1/sessions/:id/${name}`, (req, reply) => {
      if (!sessionIdSchema.safeParse(req.params.id).success) {
        return sendError(
          reply,
          'bad_request',
          `the session id in the path must be 1 to ${MAX_SESSION_ID_CHARS} characters, none of them a control character`,
        );
      }
      return run(req.params.id, command, reply);
    });
  }
  app.post('/api/v1/new-session', { config: { body: true } }, (req, reply) => {
    const body = newSessionBody.safeParse(req.body);
    if (!body.success) {
      return sendError(
        reply,
        'bad_request',
        `the body must be {"session": "<session id, 1 to ${MAX_SESSION_ID_CHARS} characters>"}`,
      );
    }
    return run(body.data.session, 'new_session', reply);
  });
}
