import type { SessionRef } from '../agents/adapter.js';
import { jobKey, type PersistedState, type ResumeJob, type SessionRecord } from '../core/jobs.js';
import type { AgentKind } from '../core/stop-reason.js';

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
}

/** What the daemon has seen of sessions since it started; persisted records fill in the rest. */
export function createLiveSessions() {
  const live = new Map<string, Live>();
  const entry = (ref: SessionRef, at: number): Live => {
    const key = jobKey({ agent: ref.agent, sessionId: ref.sessionId });
    let found = live.get(key);
    if (found === undefined) {
      found = { ref, state: 'idle', lastActivityAt: at };
      live.set(key, found);
    }
    if (ref.directory !== undefined) found.ref = ref;
    return found;
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
      if (e !== undefined) Object.assign(e, patch);
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
      return [...live.values()]
        .filter((e) => e.steps)
        .sort((a, b) => b.lastActivityAt - a.lastActivityAt)[0]?.steps;
    },
    busyCount(agent: AgentKind): number {
      return [...live.values()].filter((e) => e.ref.agent === agent && e.state === 'busy').length;
    },
    /** Every session, by key order: one pass over the records and jobs (no lookups per row). */
    list(state: PersistedState): SessionView[] {
      const records = new Map(state.sessions.map((r) => [jobKey(r), r]));
      const jobs = new Map(state.jobs.map((j) => [jobKey(j), j]));
      const keys = new Set([...live.keys(), ...records.keys()]);
      return [...keys].sort().map((key) => view(key, records.get(key), jobs.get(key)));
    },
    /** One session by its key, or undefined when neither seen nor remembered. */
    find(state: PersistedState, key: string): SessionView | undefined {
      const record = state.sessions.find((s) => jobKey(s) === key);
      if (record === undefined && !live.has(key)) return undefined;
      return view(
        key,
        record,
        state.jobs.find((j) => jobKey(j) === key),
      );
    },
    /** Forgets sessions not active since `before` (epoch ms) that `keep` does not name. */
    prune(before: number, keep: (key: string) => boolean): number {
      let removed = 0;
      for (const [key, e] of live) {
        if (e.lastActivityAt >= before || e.state === 'busy' || keep(key)) continue;
        live.delete(key);
        removed++;
      }
      return removed;
    },
  };

  function view(
    key: string,
    record: SessionRecord | undefined,
    job: ResumeJob | undefined,
  ): SessionView {
    const e = live.get(key);
    const agent = e?.ref.agent ?? record?.agent ?? 'opencode';
    return {
      agent,
      id: e?.ref.sessionId ?? record?.sessionId ?? key,
      directory: e?.ref.directory ?? record?.directory,
      title: e?.title ?? record?.title,
      state: job !== undefined && e?.state !== 'resuming' ? 'waiting' : (e?.state ?? 'idle'),
      lastStop: record?.lastStop,
      nextWakeAt: job?.dueAt ?? e?.nextWakeAt,
      attempts: record?.attempts ?? 0,
      paused: record?.paused === true,
      steps: e?.steps,
    };
  }
}

export type LiveSessions = ReturnType<typeof createLiveSessions>;
