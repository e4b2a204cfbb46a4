import { z } from 'zod';
import type { SessionRef } from '../adapter.js';
import { endsUnfinished, stopEvidence } from './evidence.js';
import type { WatchDeps } from './watch.js';

/** Sessions idle for longer than this when first seen are history, not work to resume. */
const DISCOVERY_WINDOW_MS = 24 * 3_600_000;

/** How long to wait for an errored turn's final message update after `session.idle`. */
const SETTLE_MS = 3000;
const SETTLE_STEP_MS = 100;

/**
 * Reads the session's last message and reports the stop. opencode 1.18 sends `session.idle`
 * 1–15 ms *before* the assistant message gains its `error` and `time.completed`, so at idle an
 * unfinished message is re-read until it settles. Only after the agent restarted is an
 * unfinished message final: that turn was cut off (a crash).
 */
export async function judge(
  deps: WatchDeps,
  ref: SessionRef,
  afterRestart: boolean,
  /** After a restart: whether the session is still idle now (it may have been prompted since). */
  stillIdle: () => Promise<boolean> = () => Promise.resolve(true),
): Promise<void> {
  const { options } = deps;
  const deadline = options.now() + SETTLE_MS;
  for (;;) {
    const history = await deps.messages(ref);
    const unfinished = endsUnfinished(history);
    if (unfinished && afterRestart && !(await stillIdle())) {
      // Not cut off: a turn started after the status was read (a resume sent at our own start).
      deps.emit({ kind: 'busy', ref, at: options.now() });
      return;
    }
    if (!unfinished || afterRestart) {
      const { evidence, recordedAt } = stopEvidence(history, afterRestart && unfinished);
      const messageId = history.at(-1)?.info.id;
      deps.emit({ kind: 'stopped', ref, evidence, recordedAt, messageId, at: options.now() });
      return;
    }
    if (options.now() >= deadline || deps.signal.aborted) {
      options.onError(
        'idle_unsettled',
        new Error(`session ${ref.sessionId} idle but its last message never settled`),
      );
      return;
    }
    await options.sleep(SETTLE_STEP_MS, deps.signal);
  }
}

const statusSchema = z.record(z.string(), z.object({ type: z.string() }).loose());

const sessionListSchema = z.array(
  z
    .object({
      id: z.string(),
      title: z.string().optional(),
      directory: z.string().optional(),
      time: z.object({ updated: z.number() }),
    })
    .loose(),
);

/**
 * After every (re)connect: learn the sessions that exist (on the first, also those from before the
 * daemon started), then judge every idle one. An idle session whose last message never finished
 * was cut off by the agent dying: that is a crash.
 */
export async function resync(deps: WatchDeps): Promise<void> {
  const { client, options, emit } = deps;
  const call = { throwOnError: true as const, signal: AbortSignal.timeout(15_000) };
  const known = new Map(options.tracked().map((r) => [r.sessionId, r]));
  const { data } = await client.session.list({}, call);
  const now = options.now();
  for (const s of sessionListSchema.parse(data)) {
    if (known.has(s.id) || now - s.time.updated > DISCOVERY_WINDOW_MS) continue;
    const ref: SessionRef = { agent: 'opencode', sessionId: s.id, directory: s.directory };
    known.set(s.id, ref);
    emit({ kind: 'discovered', ref, title: s.title, at: now });
  }
  const working = async (directory: string | undefined): Promise<Set<string>> => {
    const status = await client.session.status({ directory }, call);
    const busy = new Set<string>();
    for (const [id, st] of Object.entries(statusSchema.parse(status.data))) {
      if (st.type !== 'idle') busy.add(id);
    }
    return busy;
  };
  const busy = new Set<string>();
  for (const directory of new Set([...known.values()].map((r) => r.directory))) {
    for (const id of await working(directory)) busy.add(id);
  }
  for (const ref of known.values()) {
    if (busy.has(ref.sessionId)) emit({ kind: 'busy', ref, at: options.now() });
    else {
      // The statuses were read before the judging, one session after another: a session found
      // unfinished is asked again before it is called cut off.
      await judge(deps, ref, true, async () => !(await working(ref.directory)).has(ref.sessionId));
    }
  }
}
