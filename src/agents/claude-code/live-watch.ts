import type { Observation } from '../adapter.js';
import { scanLiveSessions, type LiveClaude } from './live.js';
import type { Tracked } from './transcript-tracker.js';

/**
 * The interactive Claude Code processes (`<claude dir>/sessions/<pid>.json`): which sessions are
 * open where, which went busy, and which died mid-turn (a crash, told by the transcript).
 */
export function createLiveWatch(deps: {
  readonly sessionsDir: string;
  /** Filled here, read by the resume routing and the reporter. */
  readonly live: Map<string, LiveClaude>;
  readonly emit: (o: Observation) => void;
  readonly now: () => number;
  readonly transcriptOf: (sessionId: string) => Tracked | undefined;
  readonly observe: (entry: Tracked) => Promise<void>;
  readonly crash: (entry: Tracked, what: string) => void;
}): { scan(): Promise<void> } {
  const { live } = deps;
  // Reported once each while they stay malformed: the directory is read at every poll.
  let malformed = new Set<string>();
  return {
    async scan() {
      const scan = await scanLiveSessions(deps.sessionsDir);
      const fresh = scan.malformed.filter((name) => !malformed.has(name));
      malformed = new Set(scan.malformed);
      if (fresh.length > 0) {
        deps.emit({
          kind: 'malformed',
          agent: 'claude-code',
          unit: 'file',
          count: fresh.length,
          detail: `not a session record: ${fresh.slice(0, 3).join(', ')} in ${deps.sessionsDir}`,
          at: deps.now(),
        });
      }
      const seen = new Set<string>();
      for (const session of scan.sessions) {
        // Several files may name one session (a resumed one): a live process beats a dead one.
        const prior = live.get(session.sessionId);
        if (seen.has(session.sessionId) && prior?.alive === true && !session.alive) continue;
        seen.add(session.sessionId);
        if (session.alive && session.status === 'busy' && prior?.status !== 'busy') {
          deps.emit({
            kind: 'busy',
            ref: { agent: 'claude-code', sessionId: session.sessionId, directory: session.cwd },
            at: deps.now(),
          });
        }
        live.set(session.sessionId, session);
      }
      for (const id of [...live.keys()]) if (!seen.has(id)) live.delete(id);
      for (const session of live.values()) {
        if (session.alive || session.status !== 'busy') continue;
        // A process that died mid-turn: its file says busy and its transcript has no answer.
        const entry = deps.transcriptOf(session.sessionId);
        if (entry !== undefined) await deps.observe(entry);
        if (entry?.state.phase !== 'busy') continue;
        deps.crash(entry, `pid ${String(session.pid)}`);
      }
    },
  };
}
