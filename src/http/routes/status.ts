import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isoInstant } from '../../core/max-wait.js';
import { daemonStateCode, type ControlCommand } from '../../core/daemon-state.js';
import type { SessionView } from '../../resume/live-sessions.js';
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
      totals: control.totals(),
      sessions: control.sessions().map(sessionJson),
    };
  });

  app.get('/api/v1/sessions', () => ({ sessions: control.sessions().map(sessionJson) }));

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

/** Instants as ISO strings for people and scripts alike; never a secret in here. */
export function sessionJson(s: SessionView): Record<string, unknown> {
  return {
    agent: s.agent,
    id: s.id,
    directory: s.directory ?? null,
    title: s.title ?? null,
    state: s.state,
    attempts: s.attempts,
    paused: s.paused,
    lastStop:
      s.lastStop === undefined
        ? null
        : {
            reason: s.lastStop.reason,
            detail: s.lastStop.detail,
            at: isoInstant(s.lastStop.at),
            resetAt: isoInstant(s.lastStop.resetAt),
          },
    nextWakeAt: isoInstant(s.nextWakeAt),
    steps: s.steps ?? null,
  };
}
