import type { FastifyInstance } from 'fastify';
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

  const command =
    (name: ControlCommand) => (_req: unknown, reply: Parameters<typeof sendError>[0]) => {
      const result = control.apply(name);
      if (!result.ok) {
        const message =
          result.reason === 'already_paused'
            ? 'the daemon is already paused'
            : 'the daemon is not paused';
        return sendError(reply, 'conflict', message);
      }
      return reply.send({ state: result.state, stateCode: daemonStateCode(result.state) });
    };
  app.post('/api/v1/pause', command('pause'));
  app.post('/api/v1/resume', command('resume'));
}
