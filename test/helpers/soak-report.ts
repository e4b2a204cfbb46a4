import { PHASES, TARGETS, type Phase, type Target } from './soak-kills.js';
import type { KillRecord, SoakLog, SoakOptions } from './soak-run.js';
import { violations } from './soak-findings.js';
import type { SessionResult } from './soak-verdict.js';
import type { SoakWorld } from './soak-world.js';

export interface Spread {
  readonly median: number;
  readonly max: number;
}

export interface SoakReport {
  readonly seed: number;
  readonly stops: { readonly SIGTERM: number; readonly SIGKILL: number };
  /** Per target: how often a kill was aimed there, and how often a resume got there first. */
  readonly aimed: Readonly<Record<Target, { readonly aimed: number; readonly reached: number }>>;
  /** Kills that found at least one resume in the phase (one kill can count for several). */
  readonly landed: Readonly<Record<Phase, number>>;
  readonly sessions: { readonly opencode: number; readonly claudeCode: number };
  readonly episodes: number;
  /** Turns that ended in a stop (limits, and Claude Code runs cut off), from the records. */
  readonly agentStops: number;
  /** Resume prompts the sessions received (their records), and that reached the fake LLM. */
  readonly resumes: number;
  readonly llmResumes: number;
  /** `session.resumed` / `resume.failed` events over all the daemon's lives. */
  readonly verified: number;
  readonly failedAttempts: number;
  readonly faultsInjected: number;
  readonly duplicates: number;
  readonly lost: number;
  readonly zombieJobs: number;
  readonly restartMs: Spread;
  /** From SIGTERM to the daemon's exit. */
  readonly sigtermMs: Spread;
  readonly tempFilesMax: number;
  /** Jobs ended without a resume: dropped as moot, given up, left to the user. */
  readonly jobsEnded: readonly string[];
  readonly harnessProblems: readonly string[];
  readonly settled: boolean;
  readonly durationMs: number;
  /** Every broken invariant, one line each: the run failed when this is not empty. */
  readonly violations: readonly string[];
}

export function buildReport(
  options: SoakOptions,
  log: SoakLog,
  sessions: readonly SessionResult[],
  world: SoakWorld,
  harnessProblems: readonly string[],
  durationMs: number,
): SoakReport {
  const count = (type: string): number => log.events.filter((e) => e.type === type).length;
  const sum = (f: (s: SessionResult) => number): number =>
    sessions.reduce((total, s) => total + f(s), 0);
  return {
    seed: options.seed,
    stops: {
      SIGTERM: log.kills.filter((k) => k.signal === 'SIGTERM').length,
      SIGKILL: log.kills.filter((k) => k.signal === 'SIGKILL').length,
    },
    aimed: aimedAt(log.kills),
    landed: Object.fromEntries(
      PHASES.map((p) => [p, log.kills.filter((k) => [...k.phases.values()].includes(p)).length]),
    ) as Record<Phase, number>,
    sessions: {
      opencode: sessions.filter((s) => s.session.agent === 'opencode').length,
      claudeCode: sessions.filter((s) => s.session.agent === 'claude-code').length,
    },
    episodes: sum((s) => s.session.episodes.length),
    agentStops: sum((s) => s.verdict.stops),
    resumes: sum((s) => s.verdict.resumes),
    llmResumes: sum((s) => s.llmResumes),
    verified: count('session.resumed'),
    failedAttempts: count('resume.failed'),
    faultsInjected: world.faults.injected(),
    duplicates: sum((s) => s.verdict.duplicates.length),
    lost: sessions.filter((s) => s.verdict.unresumed).length,
    zombieJobs: log.zombies.length,
    restartMs: spread(log.kills.map((k) => k.restartMs)),
    sigtermMs: spread(log.kills.filter((k) => k.signal === 'SIGTERM').map((k) => k.stopMs)),
    tempFilesMax: log.tempFilesMax,
    jobsEnded: log.events
      .filter((e) => ['resume.dropped', 'resume.gave_up', 'resume.needs_user'].includes(e.type))
      .map((e) => `${e.type} ${e.agent ?? ''} ${e.sessionId ?? ''}: ${e.why ?? ''}`),
    harnessProblems,
    settled: log.settled,
    durationMs,
    violations: violations(log, sessions),
  };
}

function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
}

function aimedAt(kills: readonly KillRecord[]): Record<Target, { aimed: number; reached: number }> {
  const entries = TARGETS.map(([target]) => {
    const mine = kills.filter((k) => k.target === target);
    return [target, { aimed: mine.length, reached: mine.filter((k) => k.reached).length }];
  });
  return Object.fromEntries(entries) as Record<Target, { aimed: number; reached: number }>;
}

export function formatReport(r: SoakReport): string {
  const aimed = TARGETS.map(
    ([t]) => `${t} ${String(r.aimed[t].reached)}/${String(r.aimed[t].aimed)}`,
  );
  const landed = PHASES.map((p) => `${p} ${String(r.landed[p])}`);
  const lines = [
    `seed ${String(r.seed)}: ${String(r.stops.SIGTERM + r.stops.SIGKILL)} daemon stops (${String(r.stops.SIGTERM)} SIGTERM, ${String(r.stops.SIGKILL)} SIGKILL) in ${(r.durationMs / 1000).toFixed(0)} s`,
    `kills aimed (reached/aimed): ${aimed.join(', ')}`,
    `kills that met a resume: ${landed.join(', ')}`,
    `sessions: ${String(r.sessions.opencode)} opencode, ${String(r.sessions.claudeCode)} Claude Code; ${String(r.episodes)} episodes; ${String(r.agentStops)} stops`,
    `resumes: ${String(r.resumes)} resume prompts received (${String(r.llmResumes)} reached the LLM), ${String(r.verified)} verified by the daemon, ${String(r.failedAttempts)} failed attempts (${String(r.faultsInjected)} prompts failed on purpose)`,
    `duplicates: ${String(r.duplicates)} prompts, ${String(r.zombieJobs)} jobs; lost: ${String(r.lost)}`,
    `SIGTERM to exit: median ${String(r.sigtermMs.median)} ms, max ${String(r.sigtermMs.max)} ms; restart to ready: median ${String(r.restartMs.median)} ms, max ${String(r.restartMs.max)} ms`,
    `state temp files left by a cut write: at most ${String(r.tempFilesMax)} at once`,
    `came to rest: ${r.settled ? 'yes, every episode finished' : 'no, some never finished'}`,
  ];
  if (r.jobsEnded.length > 0)
    lines.push(
      `jobs ended without a resume (${String(r.jobsEnded.length)}):`,
      ...r.jobsEnded.slice(0, 20).map((j) => `  ${j}`),
    );
  if (r.harnessProblems.length > 0)
    lines.push('harness problems:', ...r.harnessProblems.map((p) => `  ${p}`));
  lines.push(
    r.violations.length === 0 ? 'violations: none' : `violations (${String(r.violations.length)}):`,
    ...r.violations.map((v) => `  ${v}`),
  );
  return lines.join('\n');
}
