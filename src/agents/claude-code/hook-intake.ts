import { z } from 'zod';
import type { HookFate, HookReceipt } from '../definition.js';
import { readClaudeLine } from './lines.js';
import { sessionMismatch, stopFailureVerdict, type HookRejection } from './hook-verdict.js';
import type { JudgedStop, Reporter } from './reporter.js';
import { SESSION_ID } from './transcript-record.js';
import { locateTranscript } from './transcript-location.js';
import type { Tracked, TranscriptTracker } from './transcript-tracker.js';

/**
 * Payloads waiting to be looked at. The HTTP route rate-limits per source, and the daemon's hook
 * inbox holds as many (MAX_INBOX_FILES), so this is a backstop: beyond it a payload is not taken
 * and counted as `queue_full` (not `malformed`: nothing is wrong with it, only too many).
 */
export const MAX_QUEUED_HOOKS = 1000;
/** A StopFailure hook may run ~100 ms before its transcript line is written. */
const HOOK_SETTLE_MS = 2000;
const SETTLE_POLL_MS = 50;
/** A rejection's detail quotes what the hook said (a path): kept short, it is for a debug line. */
const DETAIL_CHARS = 300;

// `cwd` and everything else a hook says about where the session is are not read: the transcript's
// own lines tell (a hook is a claim by whoever posted it).
const hookPayload = z.looseObject({
  hook_event_name: z.string(),
  session_id: z.string().max(200).regex(SESSION_ID),
  transcript_path: z.string().optional(),
});
type Hook = z.infer<typeof hookPayload>;

export interface HookIntake {
  /** Queues a payload; not taken (counted as `queue_full`) when the queue is full. */
  accept(payload: unknown): HookReceipt;
  /** Looks at the queued payloads in order; each one's settle runs on beside the others. */
  drain(): Promise<void>;
  /** Watching stopped: what is still queued was never looked at (`interrupted`). */
  close(): void;
}

interface Queued {
  readonly payload: unknown;
  readonly finish: (fate: HookFate) => void;
}

/** A payload judged at once (`handled`), or one whose StopFailure waits for its transcript line. */
type Handling = HookFate | { readonly settling: Promise<HookFate> };

/**
 * Claude Code hooks, corroborated rather than believed: a hook only ever makes the adapter read a
 * transcript Claude Code wrote for that very session (see `locateTranscript`, `sessionMismatch`),
 * and a StopFailure's own words count only while that transcript shows the turn unanswered. Every
 * hook not acted on is counted through `onRejected`, and nothing is logged per hook.
 */
export function createHookIntake(deps: {
  readonly projectsDir: string;
  readonly tracker: TranscriptTracker;
  readonly reporter: Reporter;
  /** Reads a followed transcript's new lines and reports them. */
  readonly observe: (entry: Tracked) => Promise<void>;
  readonly onRejected: (reason: HookRejection, detail: string) => void;
  /** A caught failure, logged and counted; `kind` is a short fixed word (see AgentDeps). */
  readonly onError: (kind: string, error: unknown) => void;
  readonly now: () => number;
  /** Whether watching stopped: a settle still waiting gives up. */
  readonly stopped: () => boolean;
}): HookIntake {
  const queue: Queued[] = [];
  const refuse = (reason: HookRejection, detail: string): void => {
    deps.onRejected(reason, detail.slice(0, DETAIL_CHARS));
  };
  type Found = { entry: Tracked } | { rejected: HookRejection; detail: string };
  const rejected = (reason: HookRejection, detail: string): Found => ({ rejected: reason, detail });

  /** The followed transcript of the hook's session, adopting it if it is real but not followed. */
  async function transcriptOf(h: Hook): Promise<Found> {
    const known = deps.tracker.bySession(h.session_id);
    if (known !== undefined) return checked(known, h);
    if (h.transcript_path === undefined) {
      return rejected('unknown_session', `session ${h.session_id}: no transcript`);
    }
    const where = await locateTranscript(deps.projectsDir, h.transcript_path);
    if (where.kind === 'missing') return rejected('unknown_session', where.detail);
    if (where.kind === 'foreign') return rejected('foreign_transcript', where.detail);
    const followed = deps.tracker.byPath(where.path);
    if (followed !== undefined) return checked(followed, h);
    const probe = deps.tracker.probe(where.path);
    await deps.tracker.read(probe);
    const mismatch = sessionMismatch(probe.state, h.session_id);
    if (mismatch !== undefined) return rejected(mismatch, `${where.path} for ${h.session_id}`);
    const adopted = deps.tracker.adopt(probe);
    if (adopted === undefined) return rejected('tracking_full', where.path);
    if (adopted === probe) deps.reporter.report(probe, false);
    return { entry: adopted };
  }

  async function checked(entry: Tracked, h: Hook): Promise<Found> {
    await deps.observe(entry);
    const mismatch = sessionMismatch(entry.state, h.session_id);
    return mismatch === undefined
      ? { entry }
      : rejected(mismatch, `${entry.path} for ${h.session_id}`);
  }

  async function handle(payload: unknown): Promise<Handling> {
    const hook = hookPayload.safeParse(payload);
    if (!hook.success) {
      refuse('malformed', `hook payload: ${hook.error.issues[0]?.message ?? 'invalid'}`);
      return 'handled';
    }
    const h = hook.data;
    const found = await transcriptOf(h);
    if ('rejected' in found) {
      refuse(found.rejected, `${h.hook_event_name}: ${found.detail}`);
      return 'handled';
    }
    if (h.hook_event_name !== 'StopFailure') return 'handled';
    const judged = readClaudeLine(payload);
    if (judged.kind !== 'stop') return 'handled'; // a sub-agent's failure (a compaction attempt)
    const { entry } = found;
    const verdict = stopFailureVerdict(entry.state.phase);
    if (verdict === 'turn_not_open') {
      refuse('turn_not_open', `StopFailure: ${h.session_id} is ${entry.state.phase}`);
      return 'handled';
    }
    // Already settling: that earlier hook (still in the daemon's inbox) judges this same turn.
    if (verdict !== 'settle' || entry.settling) return 'handled';
    const settling = settle(entry, judged).catch((error: unknown): HookFate => {
      deps.onError('hook', error);
      return 'handled';
    });
    return { settling };
  }

  /**
   * A StopFailure is the fastest signal, but its transcript line (with the exact `resetsAt`) may
   * follow ~100 ms later: wait briefly for it, and judge the hook's own words only if the turn is
   * still the same unanswered one by then. Runs beside the scan loop, one per transcript.
   */
  async function settle(entry: Tracked, judged: JudgedStop): Promise<HookFate> {
    entry.settling = true;
    try {
      const before = entry.state.phaseUuid;
      const moved = (): boolean => entry.state.phase !== 'busy' || entry.state.phaseUuid !== before;
      const deadline = deps.now() + HOOK_SETTLE_MS;
      while (!moved() && deps.now() < deadline && !deps.stopped()) {
        await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS).unref());
        await deps.observe(entry).catch((error: unknown) => {
          deps.onError('transcript_read', error);
        });
      }
      if (moved()) return 'handled'; // the transcript's own line was reported
      if (deps.stopped()) return 'interrupted';
      deps.reporter.ownWords(entry, judged, 'hook');
      return 'handled';
    } finally {
      entry.settling = false;
    }
  }

  return {
    accept(payload) {
      if (queue.length >= MAX_QUEUED_HOOKS) {
        const why = `${String(queue.length)} hook payloads already waiting`;
        refuse('queue_full', why);
        return { taken: false, why };
      }
      let finish: (fate: HookFate) => void = () => undefined;
      const done = new Promise<HookFate>((resolve) => {
        finish = resolve;
      });
      queue.push({ payload, finish });
      return { taken: true, done };
    },
    async drain() {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const { finish } = next;
        // A payload that failed (logged and counted) was looked at: kept, it would fail each start.
        const handling = await handle(next.payload).catch((error: unknown): HookFate => {
          deps.onError('hook', error);
          return 'handled';
        });
        if (typeof handling === 'string') finish(handling);
        else void handling.settling.then(finish);
      }
    },
    close() {
      for (const { finish } of queue.splice(0)) finish('interrupted');
    },
  };
}
