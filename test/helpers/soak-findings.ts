import type { DaemonEvent } from './soak-daemon.js';
import type { KillRecord, SoakLog } from './soak-run.js';
import { describeTurns, type SessionResult } from './soak-verdict.js';

/** Every broken invariant, one line each, with what happened around it. */
export function violations(log: SoakLog, sessions: readonly SessionResult[]): string[] {
  const out = [
    ...log.restartFailures.map((f) => `the daemon did not come back after ${f}`),
    ...log.stateProblems.map((p) => `state file unusable at ${p}`),
    ...log.zombies.map((z) => `duplicate job at ${z}`),
    ...log.kills
      .filter((k) => k.signal === 'SIGTERM' && k.exitCode !== 0)
      .map((k) => `stop #${String(k.index)}: SIGTERM ended the daemon with ${String(k.exitCode)}`),
  ];
  if (log.corruptFiles > 0) {
    out.push(`the daemon moved ${String(log.corruptFiles)} state files aside as corrupt`);
  }
  for (const s of sessions) {
    for (const i of s.verdict.duplicates) {
      out.push(`duplicate resume prompt: ${around(s, i, log, s.turns[i - 1]?.at ?? 0)}`);
    }
    const last = s.turns.length - 1;
    if (s.verdict.unresumed) {
      out.push(`never resumed: ${around(s, last, log, s.turns[last]?.at ?? 0, Infinity)}`);
    }
  }
  return out;
}

/**
 * Turn `i` of a session with what led to it: the turns before, the kills between `from` and
 * `to` (by default the turn itself) that found the session's resume in some phase, and what the
 * daemon said about the session meanwhile.
 */
function around(s: SessionResult, i: number, log: SoakLog, from: number, to?: number): string {
  const { agent, id } = s.session;
  const at = s.turns[i]?.at ?? 0;
  const until = to ?? at;
  const turns = describeTurns(s.turns.slice(Math.max(0, i - 3), i + 1));
  const kills = touchedBy(log.kills, id, from, until);
  const said = saidAbout(log.events, id, from, until);
  return `${agent} ${id}, turn ${String(i + 1)} of ${String(s.turns.length)} at ${clock(at)} (… ${turns}); kills meanwhile: ${kills}; the daemon said meanwhile: ${said}`;
}

function clock(at: number): string {
  return at === 0 ? '?' : new Date(at).toISOString().slice(11, 23);
}

/** The kills in [from, to] that found this session's resume in some phase. */
function touchedBy(kills: readonly KillRecord[], id: string, from: number, to: number): string {
  const touched = kills.flatMap((k) => {
    const phase = k.phases.get(id);
    if (phase === undefined || k.at < from || k.at > to) return [];
    return [`stop #${String(k.index)} ${k.signal} while ${phase}`];
  });
  return touched.length === 0 ? 'none met its resume' : touched.slice(-5).join(', ');
}

/** The daemon's events about the session in [from, to], decisions left out, the last six. */
function saidAbout(events: readonly DaemonEvent[], id: string, from: number, to: number): string {
  const mine = events.filter(
    (e) => e.sessionId === id && e.type !== 'decision.made' && e.at >= from && e.at <= to,
  );
  const shown = mine.slice(-6).map((e) => {
    const detail = e.errorType ?? (e.type === 'resume.dropped' ? e.why : e.reason);
    const attempt = e.attempt === undefined ? '' : `#${String(e.attempt)}`;
    return `${clock(e.at)} ${e.type}${attempt}${detail === undefined ? '' : ` (${detail})`}`;
  });
  return shown.length === 0 ? 'nothing' : shown.join(', ');
}
