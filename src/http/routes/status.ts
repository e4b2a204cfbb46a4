import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { daemonStateCode, type ControlCommand } from '../../core/daemon-state.js';
import type { DaemonControl, DaemonInfo } from '../control.js';
import { sendError } from '../errors.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export function statusRoutes(app: FastifyInstance, info: DaemonInfo, control: DaemonControl): void {
  // The session list is serialised once per changed session (see live-sessions): a status with
  // 5,000 sessions joins cached strings rather than building and stringifying 5,000 objects.
  app.get('/api/v1/status', (_req, reply) => {
    const state = control.state();
    const head = JSON.stringify({
      state,
      stateCode: daemonStateCode(state),
      version: info.version,
      commit: info.commit,
      pid: info.pid,
      startedAt: info.startedAt.toISOString(),
      uptimeSeconds: info.uptimeSeconds(),
      totals: control.totals(),
    });
    return reply.type(JSON_TYPE).send(`${head.slice(0, -1)},"sessions":${control.sessionsJson()}}`);
  });

  app.get('/api/v1/sessions', (_req, reply) =>
    reply.type(JSON_TYPE).send(`{"sessions":${control.sessionsJson()}}`),
  );

  const CONFLICT = {
    already_paused: 'the daemon is already paused',
    not_paused: 'the daemon is not paused',
  } as const;
  const command = (name: ControlCommand) => (_req: FastifyRequest, reply: FastifyReply) => {
    const result = control.apply(name);
    if (!result.ok) return sendError(reply, 'conflict', CONFLICT[result.reason]);
    return reply.send({ state: result.state, stateCode: daemonStateCode(result.state) });
  };
  app.post('/api/v1/pause', command('pause'));
  app.post('/api/v1/resume', command('resume'));
}

export { sessionJson } from '../../resume/session-json.js';
