import type { Observation, SessionRef } from '../adapter.js';
import { createBoundedSet } from './bounded-set.js';
import { claudeEvidence } from './evidence.js';
import type { ClaudeStop } from './lines.js';
import type { LiveClaude } from './live.js';
import type { TranscriptState } from './transcript.js';
import type { Tracked } from './transcript-tracker.js';

export type JudgedStop = Extract<ClaudeStop, { kind: 'stop' }>;

/** Turns what a followed transcript shows into observations, each turn's end once. */
export interface Reporter {
  /** Reads the entry's new lines, then reports what changed (`discovering`: at the first scan). */
  observe(entry: Tracked, discovering: boolean): Promise<void>;
  /** After a read: busy while a turn runs; the turn's end once it ended. */
  report(entry: Tracked, discovering: boolean): void;
  /** A process that died mid-turn: one crash per turn. */
  crash(entry: Tracked, what: string): void;
  /** A stop the transcript does not show (yet), judged from a hook's or a result's own words. */
  ownWords(entry: Tracked, judged: JudgedStop, source: 'hook' | 'result'): void;
}

/** Interactive Claude Code writes its "continue automatically" notice just after the limit line. */
const SELF_CONTINUE_GRACE_MS = 2000;
/** Claude Code continues 30–90 s after the reset (observed in 2.1.332): step in only after that. */
const SELF_CONTINUE_JITTER_S = 90;

export function sessionRef(state: TranscriptState): SessionRef {
  return { agent: 'claude-code', sessionId: state.sessionId, directory: state.cwd };
}

export function createReporter(deps: {
  readonly read: (entry: Tracked) => Promise<{ changed: boolean; malformed: number }>;
  readonly emit: (o: Observation) => void;
  readonly now: () => number;
  readonly live: ReadonlyMap<string, LiveClaude>;
  readonly onInfo: (what: string, details: Record<string, unknown>) => void;
  /** How many turns' crashes are remembered (so each is reported once). */
  readonly maxRemembered: number;
}): Reporter {
  const crashesReported = createBoundedSet(deps.maxRemembered);

  /**
   * An interactive Claude Code that hit its plan limit may announce that it continues by itself
   * at the reset: the stop is held back a moment for that notice, so the wait can leave it room.
   */
  function awaitingSelfContinue(state: TranscriptState, at: number): boolean {
    if (state.phase !== 'stopped' || state.stop?.reason !== 'rate_limit') return false;
    if (state.selfContinue) return false;
    const session = deps.live.get(state.sessionId);
    if (session === undefined || !session.alive || session.entrypoint === 'sdk-cli') return false;
    return at - (state.phaseAt ?? at) < SELF_CONTINUE_GRACE_MS;
  }

  function report(entry: Tracked, discovering: boolean): void {
    const { state } = entry;
    const position = `${state.phase}:${state.phaseUuid ?? ''}`;
    const at = deps.now();
    entry.deferred = false;
    if (state.phase === 'busy') {
      // At discovery a busy transcript may be a turn running elsewhere or a crash: the live
      // session files tell which; nothing is claimed from the transcript alone.
      if (!discovering) deps.emit({ kind: 'busy', ref: sessionRef(state), at });
      return;
    }
    if (state.phase === 'empty' || entry.reported === position) return;
    if (awaitingSelfContinue(state, at)) {
      entry.deferred = true;
      return;
    }
    entry.reported = position;
    const evidence = phaseEvidence(state);
    if (evidence === undefined) return;
    deps.emit({
      kind: 'stopped',
      ref: sessionRef(state),
      evidence,
      recordedAt: state.phaseAt,
      messageId: state.phaseUuid,
      at,
    });
  }

  return {
    async observe(entry, discovering) {
      const read = await deps.read(entry);
      if (read.malformed > 0) {
        deps.emit({
          kind: 'malformed',
          agent: 'claude-code',
          unit: 'line',
          count: read.malformed,
          detail: `${String(read.malformed)} unreadable line(s) in ${entry.path}`,
          at: deps.now(),
        });
      }
      if (!read.changed) {
        if (entry.deferred) report(entry, false);
        return;
      }
      if (discovering) {
        deps.emit({
          kind: 'discovered',
          ref: sessionRef(entry.state),
          title: entry.state.task?.slice(0, 80),
          at: deps.now(),
        });
      }
      report(entry, discovering);
    },
    report,
    crash(entry, what) {
      const key = `${entry.state.sessionId}:${entry.state.phaseUuid ?? ''}`;
      if (crashesReported.has(key)) return;
      crashesReported.add(key);
      deps.onInfo('claude code process died mid-turn', { session: entry.state.sessionId, what });
      deps.emit({
        kind: 'stopped',
        ref: sessionRef(entry.state),
        evidence: claudeEvidence(
          { kind: 'no_stop', source: 'process', completed: false },
          { agentDied: true },
        ),
        recordedAt: deps.now(),
        messageId: `crash:${entry.state.phaseUuid ?? what}`,
        at: deps.now(),
      });
    },
    ownWords(entry, judged, source) {
      const position = `stopped:${entry.state.phaseUuid ?? ''}`;
      // One hook stop per turn however often it is posted; the daemon's own run's result line
      // (trusted, and told after any hook) still counts.
      if (source === 'hook' && entry.reported === position) return;
      entry.reported = position;
      deps.emit({
        kind: 'stopped',
        ref: sessionRef(entry.state),
        evidence: claudeEvidence(judged),
        recordedAt: deps.now(),
        messageId: `${source}:${entry.state.phaseUuid ?? entry.state.sessionId}`,
        at: deps.now(),
      });
    },
  };
}

function phaseEvidence(state: TranscriptState): ReturnType<typeof claudeEvidence> | undefined {
  switch (state.phase) {
    case 'stopped': {
      const stop = state.stop;
      if (stop === undefined) return undefined;
      if (!state.selfContinue || stop.resetsAtSeconds === undefined) return claudeEvidence(stop);
      // Claude Code resumes this one itself after the reset; palingenesis only if it did not.
      return claudeEvidence({
        ...stop,
        resetsAtSeconds: stop.resetsAtSeconds + SELF_CONTINUE_JITTER_S,
        text: `${stop.text} (Claude Code continues by itself after the reset; palingenesis steps in ${String(SELF_CONTINUE_JITTER_S)} s later only if it has not)`,
      });
    }
    case 'completed':
      return claudeEvidence({ kind: 'no_stop', source: 'transcript', completed: true });
    case 'interrupted':
      return claudeEvidence({
        kind: 'stop',
        reason: 'user_exit',
        text: 'the user interrupted the turn',
        source: 'transcript',
      });
    case 'busy':
    case 'empty':
      return undefined;
  }
}
