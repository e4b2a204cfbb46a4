import type { PersistedState } from '../../src/core/jobs.js';
import type { SoakAgentKind } from './soak-agents.js';
import type { SoakSession } from './soak-episodes.js';
import { judgeTurns, type SessionVerdict, type Turn } from './soak-records.js';
import type { SoakWorld } from './soak-world.js';

/** Whether the session's latest turn is a stop that a resume job may answer. */
async function stoppedNow(world: SoakWorld, kind: SoakAgentKind, id: string): Promise<boolean> {
  const agent = world.agent(kind);
  const last = (await agent.turns(id)).at(-1);
  if (last?.outcome === 'failed') return true;
  // A Claude Code turn left unanswered is a crash once no process works on it any more.
  return kind === 'claude-code' && last?.outcome === 'open' && !(await agent.working(id));
}

/**
 * Jobs the daemon keeps for sessions that are not stopped: a resume already answered the stop,
 * so the job can only nudge the session a second time (or be dropped once it is busy). A job
 * already sent (`sentAt`) is left out: the daemon checks such a job before acting again.
 */
export async function zombieJobs(
  state: PersistedState | undefined,
  world: SoakWorld,
): Promise<string[]> {
  const found: string[] = [];
  for (const job of state?.jobs ?? []) {
    if (job.sentAt !== undefined) continue;
    if (job.agent !== 'opencode' && job.agent !== 'claude-code') continue;
    if (await stoppedNow(world, job.agent, job.sessionId)) continue;
    const turns = describeTurns(await world.agent(job.agent).turns(job.sessionId));
    found.push(
      `${job.agent} ${job.sessionId}: attempt ${String(job.attempt)} pending (${job.why}) for a session that is not stopped: ${turns}`,
    );
  }
  return found;
}

/** One session at the end: its record judged, and what reached the LLM. */
export interface SessionResult {
  readonly session: SoakSession;
  readonly turns: readonly Turn[];
  readonly verdict: SessionVerdict;
  /** Resume prompts in the longest conversation the fake LLM received for the session. */
  readonly llmResumes: number;
}

export async function judgeSessions(
  world: SoakWorld,
  sessions: readonly SoakSession[],
): Promise<SessionResult[]> {
  const requests = world.llm.requests();
  const results: SessionResult[] = [];
  for (const session of sessions) {
    const turns = await world.agent(session.agent).turns(session.id);
    const tags = new Set(session.episodes);
    const llmResumes = requests
      .filter((r) => tags.has(r.tag))
      .reduce((most, r) => Math.max(most, r.resumes), 0);
    const verdict = judgeTurns(turns, session.agent === 'claude-code');
    results.push({ session, turns, verdict, llmResumes });
  }
  return results;
}

/** `task:failed continue:ok …`, the last 12 turns. */
export function describeTurns(turns: readonly Turn[]): string {
  const shown = turns.slice(-12).map((t) => `${t.kind}:${t.outcome}`);
  return `${turns.length > 12 ? '… ' : ''}${shown.join(' ')}`;
}
