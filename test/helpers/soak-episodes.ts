import type { Prng } from './prng.js';
import type { SoakAgent, SoakAgentKind } from './soak-agents.js';
import type { EpisodePlan, SoakLlm, TurnPlan } from './soak-llm.js';
import type { Turn } from './soak-records.js';

/** One session the soak works in, and where its latest episode is. */
export interface SoakSession {
  readonly agent: SoakAgentKind;
  readonly id: string;
  readonly episodes: string[];
  /** When its latest episode was seen finished (answered, nothing running); undefined: still on. */
  settledAt: number | undefined;
}

export interface EpisodeOptions {
  /** Episodes under way at once, per agent. */
  readonly concurrent: Readonly<Record<SoakAgentKind, number>>;
  /** Sessions per agent at most; past that, settled ones get their next task. */
  readonly maxSessions: Readonly<Record<SoakAgentKind, number>>;
}

/**
 * A session gets its next task only this long after it settled. A duplicate resume still on its
 * way (a retry after a failed verification) would otherwise meet a busy session and be dropped as
 * moot, hiding it.
 */
const COOLDOWN_MS = 12_000;

export interface Episodes {
  readonly sessions: SoakSession[];
  /** Looks at every session still on, then starts episodes where there is room. */
  tick(starting: boolean): Promise<void>;
  /** Whether every session's latest episode has finished. */
  settled(): boolean;
  /** Problems met while driving the agents (a run that never named its session…). */
  readonly problems: string[];
}

/** The user side of the soak: keeps episodes going in both agents, each with a seeded plan. */
export function createEpisodes(
  agents: readonly SoakAgent[],
  llm: SoakLlm,
  rng: Prng,
  options: EpisodeOptions,
): Episodes {
  const sessions: SoakSession[] = [];
  const problems: string[] = [];
  let count = 0;
  const starting = new Map<SoakAgentKind, number>();

  async function refresh(session: SoakSession, agent: SoakAgent): Promise<void> {
    if (session.settledAt !== undefined) return;
    const turns = await agent.turns(session.id);
    if (finished(turns, session) && !(await agent.working(session.id))) {
      session.settledAt = Date.now();
    }
  }

  async function start(agent: SoakAgent): Promise<void> {
    const tag = `${agent.kind === 'opencode' ? 'oc' : 'cc'}${String(++count)}`;
    llm.plan(tag, episodePlan(rng));
    const mine = sessions.filter((s) => s.agent === agent.kind);
    const ready = mine.filter(
      (s) => s.settledAt !== undefined && Date.now() - s.settledAt > COOLDOWN_MS,
    );
    const fresh =
      mine.length < options.maxSessions[agent.kind] && (ready.length === 0 || rng.chance(0.3));
    if (!fresh && ready.length === 0) return;
    const reused = fresh ? undefined : rng.pick(ready);
    if (reused) {
      reused.settledAt = undefined;
      reused.episodes.push(tag);
    }
    starting.set(agent.kind, (starting.get(agent.kind) ?? 0) + 1);
    try {
      const id = await agent.startTask(tag, reused?.id);
      if (!reused) sessions.push({ agent: agent.kind, id, episodes: [tag], settledAt: undefined });
    } catch (error) {
      problems.push(`${agent.kind} episode ${tag} did not start: ${String(error)}`);
      if (reused) {
        reused.episodes.pop();
        reused.settledAt = Date.now();
      }
    } finally {
      starting.set(agent.kind, (starting.get(agent.kind) ?? 1) - 1);
    }
  }

  return {
    sessions,
    problems,
    async tick(startNew) {
      for (const agent of agents) {
        const mine = sessions.filter((s) => s.agent === agent.kind);
        await Promise.all(mine.map((s) => refresh(s, agent)));
        const busy = mine.filter((s) => s.settledAt === undefined).length;
        const room = options.concurrent[agent.kind] - busy - (starting.get(agent.kind) ?? 0);
        // Started in the background: a Claude Code run takes a second or two to name its session.
        if (startNew && room > 0) void start(agent);
      }
    },
    settled: () =>
      sessions.every((s) => s.settledAt !== undefined) &&
      [...starting.values()].every((n) => n === 0),
  };
}

/** The session's record holds its latest task, and ends on an answered turn. */
function finished(turns: readonly Turn[], session: SoakSession): boolean {
  const tasks = turns.filter((t) => t.kind === 'task').length;
  return tasks >= session.episodes.length && turns.at(-1)?.outcome === 'ok';
}

/** Every episode opens with a limit; after the resume: done, a 500 retried, or a second limit. */
function episodePlan(rng: Prng): EpisodePlan {
  const after = rng.weighted<readonly TurnPlan[]>([
    [['ok'], 0.55],
    [['error_once'], 0.2],
    [['limit', 'ok'], 0.25],
  ]);
  return { resetSeconds: rng.int(1, 2), turns: ['limit', ...after] };
}
