import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SessionCommand } from '../../resume/engine.js';
import type { DaemonControl } from '../control.js';
import { sendError } from '../errors.js';
import { sessionJson } from './status.js';

const COMMANDS: Readonly<Record<string, SessionCommand>> = {
  pause: 'pause',
  resume: 'resume',
  wake: 'wake',
  cancel: 'cancel',
};
const newSessionBody = z.strictObject({ session: z.string().min(1) });

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
    app.post<{ Params: { id: string } }>(`/api/v1/sessions/:id/${name}`, (req, reply) =>
      run(req.params.id, command, reply),
    );
  }
  app.post('/api/v1/new-session', (req, reply) => {
    const body = newSessionBody.safeParse(req.body);
    if (!body.success) {
      return sendError(reply, 'bad_request', 'the body must be {"session": "<session id>"}');
    }
    return run(body.data.session, 'new_session', reply);
  });
}
