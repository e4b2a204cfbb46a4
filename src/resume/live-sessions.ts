import type { SessionRef } from '../agents/adapter.js';
import { jobKey, type PersistedState, type ResumeJob, type SessionRecord } from '../core/jobs.js';
import type { AgentKind } from '../core/stop-reason.js';
import { sessionJson } from './session-json.js';

export type LiveState = 'busy' | 'idle' | 'retrying' | 'waiting' | 'resuming';

/** One session as the API and `status` show it. */
export interface SessionView {
  readonly agent: AgentKind;
  readonly id: string;
  readonly directory?: string | undefined;
  readonly title?: string | undefined;
  readonly state: LiveState;
  readonly lastStop?: SessionRecord['lastStop'];
  /** Epoch ms of the next resume attempt, or of the agent's own retry. */
  readonly nextWakeAt?: number | undefined;
  readonly attempts: number;
  /** Paused by a person: resumes are held. */
  readonly paused: boolean;
  readonly steps?: { readonly completed: number; readonly total: number } | undefined;
}

interface Live {
  ref: SessionRef;
  state: LiveState;
  title?: string | undefined;
  nextWakeAt?: number | undefined;
  lastActivityAt: number;
  steps?: { completed: number; total: number } | undefined;
  /** Bumped on every change, so a cached rendering knows it is stale. */
  version: number;
}

/** The persisted records and jobs by key, built once per state (states are immutable). */
interface StateIndex {
  readonly state: PersistedState;
  readonly records: ReadonlyMap<string, SessionRecord>;
  readonly jobs: ReadonlyMap<string, ResumeJob>;
}

/** One session's API JSON text and what it was rendered from. */
interface Rendered {
  readonly record: SessionRecord | undefined;
  readonly job: ResumeJob | undefined;
  readonly version: number;
  readonly json: string;
}

/**
 * What the daemon has seen of sessions since it started; persisted records fill in the rest.
 * Listing costs O(sessions) lookups and renders only sessions that changed since the last list:
 * the index of records and jobs is rebuilt once per state change, the sorted key order only when
 * a session appears or goes, and each session's JSON only when its record, job or live entry
 * changed.
 */
export function createLiveSessions() {
  const live = new Map<string, Live>();
  const rendered = new Map<string, Rendered>();
  let index: StateIndex | undefined;
  let order:
    { records: ReadonlyMap<string, SessionRecord>; liveKeys: number; keys: string[] } | undefined;
  let liveKeys = 0; // bumped when a live key is added or removed
  let changes = 0; // bumped on every change to a live entry
  let lastJson:
    { state: PersistedState; changes: number; liveKeys: number; text: string } | undefined;

  const indexOf = (state: PersistedState): StateIndex => {
    if (index?.state !== state) {
      // A change replaces one of the arrays, most often: the other keeps its map.
      const records =
        index?.state.sessions === state.sessions ? index.records : byKey(state.sessions);
      const jobs = index?.state.jobs === state.jobs ? index.jobs : byKey(state.jobs);
      index = { state, records, jobs };
    }
    return index;
  };
  const keysOf = (idx: StateIndex): string[] => {
    // A new state with the same sessions keeps its order; only a changed key set re-sorts.
    if (order?.liveKeys !== liveKeys || !sameKeys(order.records, idx.records)) {
      const keys = [...new Set([...live.keys(), ...idx.records.keys()])].sort();
      order = { records: idx.records, liveKeys, keys };
    }
    return order.keys;
  };
  const entry = (ref: SessionRef, at: number): Live => {
    const key = jobKey({ agent: ref.agent, sessionId: ref.sessionId });
    let found = live.get(key);
    if (found === undefined) {
      found = { ref, state: 'idle', lastActivityAt: at, version: 0 };
      live.set(key, found);
      liveKeys++;
    }
    if (ref.directory !== undefined) found.ref = ref;
    found.version++;
    changes++;
    return found;
  };
  const view = (
    key: string,
    record: SessionRecord | undefined,
    job: ResumeJob | undefined,
  ): SessionView => {
    const e = live.get(key);
    // A job alone (no record, nothing live) still names its session: the key is `agent:id`.
    const split = key.indexOf(':');
    return {
      agent: e?.ref.agent ?? record?.agent ?? job?.agent ?? key.slice(0, Math.max(0, split)),
      id: e?.ref.sessionId ?? record?.sessionId ?? job?.sessionId ?? key.slice(split + 1),
      directory: e?.ref.directory ?? record?.directory,
      title: e?.title ?? record?.title,
      state: job !== undefined && e?.state !== 'resuming' ? 'waiting' : (e?.state ?? 'idle'),
      lastStop: record?.lastStop,
      nextWakeAt: job?.dueAt ?? e?.nextWakeAt,
      attempts: record?.attempts ?? 0,
      paused: record?.paused === true,
      steps: e?.steps,
    };
  };
  const renderedJson = (key: string, idx: StateIndex): string => {
    const record = idx.records.get(key);
    const job = idx.jobs.get(key);
    const version = live.get(key)?.version ?? -1;
    const cached = rendered.get(key);
    if (
      cached !== undefined &&
      cached.record === record &&
      cached.job === job &&
      cached.version === version
    ) {
      return cached.json;
    }
    const json = JSON.stringify(sessionJson(view(key, record, job)));
    rendered.set(key, { record, job, version, json });
    return json;
  };

  return {
    touch(
      ref: SessionRef,
      state: LiveState | undefined,
      at: number,
      nextWakeAt?: number,
      title?: string,
    ): void {
      const e = entry(ref, at);
      if (state !== undefined) {
        e.state = state;
        e.lastActivityAt = at;
        e.nextWakeAt = nextWakeAt;
      }
      if (title !== undefined) e.title = title;
    },
    set(key: string, patch: Partial<Pick<Live, 'state' | 'nextWakeAt'>>): void {
      const e = live.get(key);
      if (e === undefined) return;
      Object.assign(e, patch);
      e.version++;
      changes++;
    },
    /** Ends `resuming` with `state`, unless an observation already said what the session does. */
    settle(key: string, state: LiveState): void {
      const e = live.get(key);
      if (e?.state !== 'resuming') return;
      e.state = state;
      e.nextWakeAt = undefined;
      e.version++;
      changes++;
    },
    todos(ref: SessionRef, completed: number, total: number, at: number): void {
      const e = entry(ref, at);
      e.steps = { completed, total };
      e.lastActivityAt = at;
    },
    refs(): SessionRef[] {
      return [...live.values()].map((e) => e.ref);
    },
    /** The most recently active session with a todo list, for the steps gauges. */
    currentSteps(): { completed: number; total: number } | undefined {
      let newest: Live | undefined;
      for (const e of live.values()) {
        if (
          e.steps !== undefined &&
          (newest === undefined || e.lastActivityAt > newest.lastActivityAt)
        )
          newest = e;
      }
      return newest?.steps;
    },
    busyCount(agent: AgentKind): number {
      let count = 0;
      for (const e of live.values()) if (e.ref.agent === agent && e.state === 'busy') count++;
      return count;
    },
    /** Every session, by key order. */
    list(state: PersistedState): SessionView[] {
      const idx = indexOf(state);
      return keysOf(idx).map((key) => view(key, idx.records.get(key), idx.jobs.get(key)));
    },
    /** The same list as a JSON array of `sessionJson`, re-rendering only changed sessions. */
    listJson(state: PersistedState): string {
      if (
        lastJson?.state === state &&
        lastJson.changes === changes &&
        lastJson.liveKeys === liveKeys
      ) {
        return lastJson.text;
      }
      const idx = indexOf(state);
      const keys = keysOf(idx);
      if (rendered.size > keys.length * 2) {
        const wanted = new Set(keys);
        for (const key of rendered.keys()) if (!wanted.has(key)) rendered.delete(key);
      }
      const text = `[${keys.map((key) => renderedJson(key, idx)).join(',')}]`;
      lastJson = { state, changes, liveKeys, text };
      return text;
    },
    /** One session by its key, or undefined when neither seen nor remembered. */
    find(state: PersistedState, key: string): SessionView | undefined {
      const idx = indexOf(state);
      const record = idx.records.get(key);
      if (record === undefined && !live.has(key)) return undefined;
      return view(key, record, idx.jobs.get(key));
    },
    /** Forgets sessions not active since `before` (epoch ms) that `keep` does not name. */
    prune(before: number, keep: (key: string) => boolean): number {
      let removed = 0;
      for (const [key, e] of live) {
        if (e.lastActivityAt >= before || e.state === 'busy' || keep(key)) continue;
        live.delete(key);
        rendered.delete(key);
        removed++;
      }
      if (removed > 0) liveKeys++;
      return removed;
    },
  };
}

function byKey<T extends { agent: AgentKind; sessionId: string }>(
  items: readonly T[],
): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) map.set(jobKey(item), item);
  return map;
}

/** Whether two record maps hold the same keys (the same map, or equal key sets). */
function sameKeys(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const key of a.keys()) if (!b.has(key)) return false;
  return true;
}

export type LiveSessions = ReturnType<typeof createLiveSessions>;
