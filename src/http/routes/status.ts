import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { daemonStateCode, type ControlCommand } from '../../core/daemon-state.js';
import type { DaemonControl, DaemonInfo } from '../control.js';
import { sendError } from '../errors.js';

export function statusRoutes(app: FastifyInstance, info: DaemonInfo, control: DaemonControl): void {
  app.get('/api/v1/status', () => {
    const state = control.state();
    return {
      state,
      stateCode: daemonStateCode(state),
      version: info.version,
      commit: info.commit,
      pid: info.pid,
      startedAt: info.startedAt.toISOString(),
      uptimeSeconds: info.uptimeSeconds(),
    };
  });

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
