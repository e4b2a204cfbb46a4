import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { jobKey, persistedStateSchema, type PersistedState } from '../../src/core/jobs.js';
import type { StatePaths } from '../../src/config/paths.js';
import { CLAUDE_BIN } from './claude.js';
import { SOAK_CONTINUE, SOAK_HANDOFF, SOAK_INTERRUPTED } from './soak-llm.js';
import { openSse, type SseConnection } from './sse.js';
import { spawnDaemon, type SpawnedDaemon } from './spawn-daemon.js';
import type { SoakWorld } from './soak-world.js';

/**
 * The daemon for a soak: both agents on (opencode through the fault proxy, Claude Code in the
 * temp HOME, polled often), Codex off, and every resume wait short: no margin, 1–2 s backoff,
 * retries enough never to give up, 5 s to see the session busy.
 */
export function soakConfig(opencodeUrl: string): string {
  return [
    '[http]',
    'port = 0',
    '[opencode]',
    `url = "${opencodeUrl}"`,
    '[claude_code]',
    `binary = "${CLAUDE_BIN}"`,
    'poll_interval_ms = 250',
    '[codex]',
    'enabled = false',
    '[resume]',
    `continue_prompt = "${SOAK_CONTINUE}"`,
    `interrupted_prompt = "${SOAK_INTERRUPTED}"`,
    `new_session_prompt = "${SOAK_HANDOFF}"`,
    'margin_seconds = 0',
    'backoff_base_seconds = 1',
    'backoff_max_seconds = 2',
    'max_retries = 100',
    'verify_timeout_seconds = 5',
    '',
  ].join('\n');
}

/** One life of the daemon: the process and its live event stream. */
export interface DaemonRun {
  readonly daemon: SpawnedDaemon;
  readonly events: SseConnection;
  /** Index into the proxy's requests when this life began. */
  readonly proxyMark: number;
}

export async function startDaemonRun(world: SoakWorld): Promise<DaemonRun> {
  const { claude, config, proxy, cli } = world;
  const proxyMark = proxy.requests().length;
  const daemon = await spawnDaemon(config, {
    home: claude.home,
    env: claude.env,
    cli,
    timeoutMs: 30_000,
  });
  try {
    // since=0: this life's events from its first, so none emitted before the stream opened is lost.
    const events = await openSse(`${daemon.url}/api/v1/events?since=0`, {
      authorization: `Bearer ${daemon.token}`,
    });
    return { daemon, events, proxyMark };
  } catch (error) {
    await daemon.stop('SIGKILL');
    throw error;
  }
}

const daemonEvent = z.looseObject({
  type: z.string(),
  at: z.number(),
  agent: z.string().optional(),
  sessionId: z.string().optional(),
  attempt: z.number().optional(),
  dueAt: z.number().optional(),
  why: z.string().optional(),
  errorType: z.string().optional(),
  reason: z.string().optional(),
});
export type DaemonEvent = z.infer<typeof daemonEvent>;

/** This life's events so far, each checked. */
export function eventsOf(run: DaemonRun): DaemonEvent[] {
  return run.events.messages.map((m) => daemonEvent.parse(JSON.parse(m.data)));
}

/**
 * Every life's events from the audit log, oldest first (rotated files too). Unlike a life's
 * event stream it also holds what a daemon did after its stream closed, while shutting down.
 */
export async function auditEvents(paths: StatePaths): Promise<DaemonEvent[]> {
  const names = await readdir(dirname(paths.auditFile)).catch(() => [] as string[]);
  const base = basename(paths.auditFile);
  const rotated = names
    .map((n) => Number(/^\.(\d+)$/.exec(n.slice(base.length))?.[1] ?? Number.NaN))
    .filter((n) => names.includes(`${base}.${String(n)}`))
    .sort((a, b) => b - a);
  const files = [...rotated.map((n) => `${paths.auditFile}.${String(n)}`), paths.auditFile];
  const events: DaemonEvent[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (line.trim() !== '') events.push(daemonEvent.parse(JSON.parse(line)));
    }
  }
  return events;
}

/** What one read of the state file found, with the daemon down. */
export interface StateCheck {
  /** Why it is not usable state (not JSON, not the schema, two jobs for one session). */
  readonly problem?: string;
  readonly state?: PersistedState;
  /** `<state>.<uuid>.tmp` left by a write a kill cut short; harmless, counted. */
  readonly tempFiles: number;
  /** `<state>.corrupt-*`: the daemon found its state unreadable and moved it aside. */
  readonly corruptFiles: number;
}

export async function checkStateFile(paths: StatePaths): Promise<StateCheck> {
  const names = await readdir(dirname(paths.stateFile)).catch(() => [] as string[]);
  const base = basename(paths.stateFile);
  const tempFiles = names.filter((n) => n.startsWith(`${base}.`) && n.endsWith('.tmp')).length;
  const corruptFiles = names.filter((n) => n.startsWith(`${base}.corrupt-`)).length;
  const counts = { tempFiles, corruptFiles };
  const text = await readFile(paths.stateFile, 'utf8').catch(() => undefined);
  if (text === undefined) return counts;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ...counts, problem: `not JSON: ${String(error)}` };
  }
  const parsed = persistedStateSchema.safeParse(data);
  if (!parsed.success) return { ...counts, problem: `not state: ${parsed.error.message}` };
  const keys = parsed.data.jobs.map(jobKey);
  const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
  if (twice.length > 0) return { ...counts, problem: `two jobs for ${twice.join(', ')}` };
  return { ...counts, state: parsed.data };
}
