import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import { INITIAL_FACTS, applyControl, daemonState } from '../../src/core/daemon-state.js';
import type { SessionCommand, SessionCommandResult } from '../../src/resume/engine.js';
import type { SessionView } from '../../src/resume/live-sessions.js';
import type { DaemonControl, DaemonInfo } from '../../src/http/control.js';
import { createHttpApp, type HttpDeps } from '../../src/http/server.js';
import { sessionJson } from '../../src/resume/session-json.js';

/** The token every in-memory app is built with: the API is tested as it runs, with a token. */
export const TOKEN = 'test-token-not-a-secret';
export const AUTH = { authorization: `Bearer ${TOKEN}` } as const;

export const info: DaemonInfo = {
  version: '9.9.9',
  commit: 'cafe123',
  pid: 4242,
  startedAt: new Date('2026-11-27T10:00:00Z'),
  uptimeSeconds: () => 42.5,
};

export function sessionView(id: string, overrides: Partial<SessionView> = {}): SessionView {
  return { agent: 'claude-code', id, state: 'waiting', attempts: 1, paused: false, ...overrides };
}

/**
 * The daemon's control as the engine behaves: pause/resume of the daemon through the real state
 * machine; session commands 404 for an unknown id and 409 when they do not apply.
 */
export function memoryControl(initial: readonly SessionView[] = []): DaemonControl {
  let facts = INITIAL_FACTS;
  const sessions = new Map(initial.map((s) => [s.id, s]));
  return {
    state: () => daemonState(facts),
    apply: (command) => {
      const result = applyControl(facts, command);
      if (result.ok) facts = result.facts;
      return result;
    },
    sessions: () => [...sessions.values()],
    sessionsJson: () => JSON.stringify([...sessions.values()].map(sessionJson)),
    command: (sessionId, command) => Promise.resolve(run(sessions, sessionId, command)),
    totals: () => ({ saves: 0, timeSavedSeconds: 0 }),
  };
}

function run(
  sessions: Map<string, SessionView>,
  id: string,
  command: SessionCommand,
): SessionCommandResult {
  const session = sessions.get(id);
  if (session === undefined) {
    return { ok: false, error: 'not_found', message: `no session ${id} is known` };
  }
  const conflict = (message: string): SessionCommandResult => ({
    ok: false,
    error: 'conflict',
    message,
  });
  let next = session;
  if (command === 'pause' || command === 'resume') {
    if (session.paused === (command === 'pause')) return conflict(`session ${id} is already so`);
    next = { ...session, paused: command === 'pause' };
  } else if (command === 'wake' || command === 'cancel') {
    if (session.state !== 'waiting') return conflict(`session ${id} has no pending resume`);
    next = { ...session, state: command === 'wake' ? 'resuming' : 'idle' };
  }
  sessions.set(id, next);
  return { ok: true, session: next };
}

/** The real createHttpApp, in memory, with a token; `deps` adds or replaces parts. */
export function memoryApp(deps: Partial<HttpDeps> = {}): FastifyInstance {
  return createHttpApp({
    info,
    control: memoryControl(),
    log: pino({ level: 'silent' }),
    security: { host: '127.0.0.1', token: TOKEN },
    ...deps,
  });
}

/** `inject` with the token sent (headers given win, so a test can send a wrong one). */
export function authed(app: FastifyInstance, options: InjectOptions) {
  return app.inject({ ...options, headers: { ...AUTH, ...options.headers } });
}
