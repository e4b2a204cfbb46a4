import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { AgentAdapter, Observation, SessionRef } from '../../src/agents/adapter.js';
import { defaultConfig, type Config } from '../../src/config/schema.js';
import type { DaemonEvent, DaemonEventType } from '../../src/core/events.js';
import { EMPTY_STATE, type PersistedState } from '../../src/core/jobs.js';
import { createEventBus } from '../../src/events/bus.js';
import { createResumeEngine, type EngineDeps, type ResumeEngine } from '../../src/resume/engine.js';
import { createStateStore, type StateStore } from '../../src/resume/store.js';
import { saveState } from '../../src/state/state-file.js';
import { createFakeClock, type FakeClock } from './fake-clock.js';
import { createWaiters } from './waiters.js';

export const T0 = Date.parse('2026-11-27T22:00:00Z');
export const REF: SessionRef = { agent: 'opencode', sessionId: 'ses_1', directory: '/p' };

export type RecordingAdapter = AgentAdapter & {
  prompts: string[];
  workedSince?: AgentAdapter['workedSince'];
  lastMessageAt: AgentAdapter['lastMessageAt'];
};

/** An in-memory agent: records what the engine asks of it. The real ones are tested end to end. */
export function recordingAdapter(): RecordingAdapter {
  const prompts: string[] = [];
  return {
    agent: 'opencode',
    prompts,
    watch: () => Promise.resolve(),
    sendPrompt: (_ref, text) => {
      prompts.push(text);
      return Promise.resolve();
    },
    startSession: () => Promise.reject(new Error('not used')),
    exportSession: () => Promise.resolve([]),
    handoffContext: () => Promise.resolve({ todos: [] }),
    lastMessageAt: () => Promise.resolve(undefined),
  };
}

/** opencode's record of a 429 with `retry-after`. */
export function rateLimited(at: number, messageId: string, retryAfterSeconds: number): Observation {
  return {
    kind: 'stopped',
    ref: REF,
    at,
    messageId,
    evidence: {
      agent: 'opencode',
      lastAssistant: {
        completed: true,
        error: {
          name: 'APIError',
          statusCode: 429,
          headers: { 'retry-after': String(retryAfterSeconds) },
        },
      },
    },
  };
}

/** The engine's tests' config: no margin, 3 attempts, 5 s to verify, 10 s backoff base. */
export function engineConfig(): Config {
  const config = defaultConfig();
  config.resume.margin_seconds = 0;
  config.resume.max_retries = 3;
  config.resume.verify_timeout_seconds = 5;
  config.resume.backoff_base_seconds = 10;
  return config;
}

/**
 * A real store on a real file whose writes a test can make fail (`disk.full = true`), and that
 * records every state written, in order.
 */
export function recordingDisk() {
  const disk = { full: false, written: [] as PersistedState[] };
  const save = async (path: string, state: PersistedState): Promise<void> => {
    if (disk.full)
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    await saveState(path, state);
    disk.written.push(state);
  };
  return { disk, save };
}

export interface EngineRig {
  readonly dir: string;
  readonly clock: FakeClock;
  readonly adapter: RecordingAdapter;
  readonly store: StateStore;
  readonly disk: ReturnType<typeof recordingDisk>['disk'];
  readonly events: DaemonEvent[];
  engine: ResumeEngine;
  /** Resolves once `count` writes failed (in all). */
  writeFailed(count?: number): Promise<unknown>;
  types(): DaemonEventType[];
  /** Resolves once `count` events of `type` were emitted (in all), or fails after 5 s. */
  event(type: DaemonEventType, count?: number): Promise<DaemonEvent>;
  /** A second engine on the same store and file: the daemon started again. */
  restart(): ResumeEngine;
  dispose(): Promise<void>;
}

/** An engine on a fake clock, a recording agent and a recording disk, with event waits. */
export async function engineRig(
  initial: PersistedState = EMPTY_STATE,
  tune: (config: Config) => void = () => undefined,
  counters: Pick<EngineDeps, 'onError' | 'onMalformed'> = {},
): Promise<EngineRig> {
  const config = engineConfig();
  tune(config);
  const dir = await mkdtemp(join(tmpdir(), 'palingenesis-engine-'));
  const clock = createFakeClock(T0);
  const adapter = recordingAdapter();
  const events: DaemonEvent[] = [];
  const waiters = createWaiters<DaemonEvent>();
  const bus = createEventBus((error) => {
    throw error;
  });
  bus.subscribe((e) => {
    events.push(e);
    waiters.notify(events);
  });
  const { disk, save } = recordingDisk();
  const path = join(dir, 'state.json');
  const failures: unknown[] = [];
  const failed = createWaiters<unknown>();
  const options = {
    save,
    onWriteFailed: (error: unknown) => {
      failures.push(error);
      failed.notify(failures);
    },
  };
  let store = createStateStore(path, initial, options);
  const make = (): ResumeEngine =>
    createResumeEngine({
      clock,
      random: () => 0.5,
      config,
      adapters: new Map([['opencode', adapter]]),
      agents: ['opencode', 'claude-code'],
      bus,
      log: pino({ level: 'silent' }),
      store,
      paused: () => false,
      backupDir: join(dir, 'backups'),
      onChange: () => undefined,
      ...counters,
    });
  const rig: EngineRig = {
    dir,
    clock,
    adapter,
    get store() {
      return store;
    },
    disk,
    events,
    engine: make(),
    types: () => events.map((e) => e.type),
    writeFailed: (count = 1) =>
      failed.wait(failures, (all) => all[count - 1], 5000, `${String(count)} failed write(s)`),
    event: (type, count = 1) =>
      waiters.wait(
        events,
        (all) => all.filter((e) => e.type === type)[count - 1],
        5000,
        `${String(count)} × ${type}`,
      ),
    restart() {
      // What a new process would read: the last state on disk.
      store = createStateStore(path, disk.written.at(-1) ?? initial, options);
      rig.engine = make();
      return rig.engine;
    },
    async dispose() {
      await rig.engine.stop().catch(() => undefined);
      await store.idle();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
