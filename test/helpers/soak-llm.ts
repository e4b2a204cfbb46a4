import { errorBody } from '../fake-llm/anthropic.js';
import {
  anthropicText,
  messageText,
  rateLimitedTurn,
  type AnthropicRequest,
  type AnthropicResponse,
  type ChatRequest,
  type FakeResponse,
} from '../fake-llm/script.js';
import type { FakeLlm } from '../fake-llm/server.js';

// What the fake LLM answers in a soak, by what each request says rather than from one queue:
// many sessions of two agents run at once. A session works through episodes: a task prompt from
// its user (`SOAK-TASK <tag>: …`), then the resume prompts the daemon sends after each stop.
// Each request's history says which episode and which turn of it the request belongs to.

export const SOAK_CONTINUE = 'SOAK-CONTINUE: carry on.';
export const SOAK_INTERRUPTED = 'SOAK-INTERRUPTED: go on.';
export const SOAK_HANDOFF = 'SOAK-HANDOFF follows.';
const TASK_MARK = 'SOAK-TASK ';
const RESUME_MARKS = ['SOAK-CONTINUE', 'SOAK-INTERRUPTED'];

export function taskPrompt(tag: string): string {
  return `${TASK_MARK}${tag}: do the next piece of work.`;
}

/**
 * One turn of an episode: `limit` fails for good with a rate limit (opencode gives up after its
 * own five retries; Claude Code does not retry a plan limit), `error_once` answers a 500 that the
 * agent retries by itself and then succeeds, `ok` answers at once.
 */
export type TurnPlan = 'limit' | 'error_once' | 'ok';

export interface EpisodePlan {
  /** Seconds until the limit resets (retry-after; a plan limit's resetsAt). */
  readonly resetSeconds: number;
  /** By turn: [0] answers the task, [n] the n-th resume prompt; past the end: `ok`. */
  readonly turns: readonly TurnPlan[];
}

/** One main request of an episode, as the fake answered it. */
export interface EpisodeRequest {
  readonly tag: string;
  readonly turn: number;
  /** 1-based: the agent's own retries of a turn are new requests. */
  readonly attempt: number;
  /** Resume prompts in the whole conversation the request carried. */
  readonly resumes: number;
  readonly plan: TurnPlan;
  readonly at: number;
}

export interface SoakLlm {
  plan(tag: string, plan: EpisodePlan): void;
  requests(): readonly EpisodeRequest[];
}

/** Where a conversation is: the last task's tag, resume prompts since it and in all. */
export function episodeOf(
  userTexts: readonly string[],
): { tag: string; turn: number; resumes: number } | undefined {
  const all = userTexts.join('\n');
  const at = all.lastIndexOf(TASK_MARK);
  if (at < 0) return undefined;
  const since = all.slice(at);
  const tag = /^SOAK-TASK (\S+):/.exec(since)?.[1];
  if (tag === undefined) return undefined;
  return { tag, turn: countResumes(since), resumes: countResumes(all) };
}

function countResumes(text: string): number {
  return RESUME_MARKS.reduce((sum, mark) => sum + text.split(mark).length - 1, 0);
}

/** Installs responders on both of the fake's chat APIs; requests outside episodes get `ok`. */
export function scriptSoakLlm(fake: FakeLlm): SoakLlm {
  const plans = new Map<string, EpisodePlan>();
  const attempts = new Map<string, number>();
  const resetAt = new Map<string, number>();
  const log: EpisodeRequest[] = [];
  const next = (texts: string[]): { request: EpisodeRequest; reset: number } | undefined => {
    const found = episodeOf(texts);
    if (found === undefined) return undefined;
    const episode = plans.get(found.tag);
    const key = `${found.tag}#${String(found.turn)}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const plan = episode?.turns[found.turn] ?? 'ok';
    const seconds = episode?.resetSeconds ?? 1;
    // A plan limit names one reset instant for the whole turn, however often it is asked.
    const reset = resetAt.get(key) ?? Math.ceil(Date.now() / 1000) + seconds;
    resetAt.set(key, reset);
    const request = { ...found, attempt, plan, at: Date.now() };
    log.push(request);
    return { request, reset };
  };
  fake.setResponder((body: ChatRequest): FakeResponse | undefined => {
    const users = body.messages.filter((m) => m.role === 'user').map(messageText);
    const found = next(users);
    if (found === undefined) return undefined;
    const { plan, attempt, tag, turn } = found.request;
    if (plan === 'limit') {
      const script = rateLimitedTurn(plans.get(tag)?.resetSeconds ?? 1);
      return script[Math.min(attempt, script.length) - 1];
    }
    if (plan === 'error_once' && attempt === 1) {
      return { kind: 'status', status: 500, body: { error: { message: 'Internal error' } } };
    }
    return { kind: 'ok', text: `Done: ${tag} turn ${String(turn)}.` };
  });
  fake.setAnthropicResponder((body: AnthropicRequest): AnthropicResponse | undefined => {
    const users = body.messages
      .filter((m) => m.role === 'user')
      .map((m) => anthropicText(m.content));
    const found = next(users);
    if (found === undefined) return undefined;
    const { plan, attempt, tag, turn } = found.request;
    if (plan === 'limit') return { kind: 'plan_limit', resetAtSeconds: found.reset };
    if (plan === 'error_once' && attempt === 1) {
      return { kind: 'status', status: 500, body: errorBody('api_error', 'Internal error') };
    }
    return { kind: 'ok', text: `Done: ${tag} turn ${String(turn)}.` };
  });
  return {
    plan: (tag, plan) => plans.set(tag, plan),
    requests: () => [...log],
  };
}
