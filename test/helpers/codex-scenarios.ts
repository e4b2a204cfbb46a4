import type { ResponsesAnswer } from '../fake-llm/script.js';
import type { CodexHomeOptions, ExecEvent } from './codex.js';
import type { RolloutLine } from './codex-rollout.js';
import type { CodexScenario, ScenarioContext } from './codex-scenario-run.js';

// The ways a Codex 0.171.0 turn ends, each driven against its own fake LLM: asserted by
// test/codex-harness.test.ts and recorded by test/fixtures/codex/record.ts.

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export const PROMPT = 'Write the plan into PLAN.md';
export const CONTINUE_PROMPT = 'continue where you stopped';

/** Whether the rollout has recorded the user message `text` (item_completed UserMessage). */
export function hasUserMessage(lines: readonly RolloutLine[], text: string): boolean {
  return lines.some(
    (l) =>
      l.payload.type === 'item_completed' &&
      JSON.stringify(l.payload['item']).includes(JSON.stringify(text)),
  );
}

const isReconnecting = (event: ExecEvent): boolean =>
  event.type === 'error' && String(event['message']).startsWith('Reconnecting...');

/** One `codex exec` whose every turn request gets `answer()` (a retry gets it again). */
function oneTurn(
  name: string,
  description: string,
  answer: () => ResponsesAnswer,
  home?: CodexHomeOptions,
): CodexScenario {
  return {
    name,
    description,
    ...(home === undefined ? {} : { home }),
    drive: async (ctx) => {
      const scripted = answer();
      ctx.scripted.push(scripted);
      ctx.fake.setResponsesDefault(scripted);
      await ctx.exec({ prompt: PROMPT });
      return undefined;
    },
  };
}

/** A failed first turn, then `exec resume <id> "continue where you stopped"`. */
async function failThenResume(ctx: ScenarioContext, failure: ResponsesAnswer): Promise<undefined> {
  ctx.scripted.push(failure);
  ctx.fake.enqueueResponses(failure);
  const first = await ctx.exec({ prompt: PROMPT });
  if (first.threadId === undefined) throw new Error('the first run started no thread');
  await ctx.exec({ prompt: CONTINUE_PROMPT, resume: first.threadId });
  return undefined;
}

export const CODEX_SCENARIOS: readonly CodexScenario[] = [
  oneTurn('ok', 'One turn answered normally.', () => ({ kind: 'ok' })),
  oneTurn(
    'usage-limit-headers',
    '429 usage_limit_reached, resets_at in an hour and x-codex-primary-* headers.',
    () => ({
      kind: 'usage_limit',
      resetsAtSeconds: nowSeconds() + 3600,
    }),
  ),
  oneTurn(
    'usage-limit-body-only',
    '429 usage_limit_reached, resets_at in two days, no rate-limit headers.',
    () => ({
      kind: 'usage_limit',
      resetsAtSeconds: nowSeconds() + 2 * 86_400,
      headers: false,
    }),
  ),
  oneTurn(
    'usage-limit-no-reset',
    '429 usage_limit_reached without any reset time (headers without reset-at).',
    () => ({
      kind: 'usage_limit',
    }),
  ),
  oneTurn(
    'usage-limit-seconds-only',
    '429 usage_limit_reached with resets_in_seconds only, no headers.',
    () => ({
      kind: 'usage_limit',
      resetsAtSeconds: nowSeconds() + 3600,
      resetsInSecondsOnly: true,
      headers: false,
    }),
  ),
  oneTurn('quota', '429 insufficient_quota.', () => ({ kind: 'quota' })),
  oneTurn('rate-limit-no-retry-after', '429 rate_limit_exceeded without Retry-After.', () => ({
    kind: 'rate_limit',
  })),
  oneTurn(
    'rate-limit-retry-after-short',
    '429 rate_limit_exceeded with Retry-After: 1 on every try; stream_max_retries = 2.',
    () => ({ kind: 'rate_limit', retryAfterSeconds: 1 }),
    { streamMaxRetries: 2 },
  ),
  {
    name: 'rate-limit-retry-after-long',
    description:
      '429 with Retry-After: 3600: Codex sleeps inside the turn; the rollout as it is then, then kill -9.',
    drive: async (ctx) => {
      ctx.fake.setResponsesDefault({ kind: 'rate_limit', retryAfterSeconds: 3600 });
      const run = ctx.start({ prompt: PROMPT });
      const started = await run.waitForEvent((e) => e.type === 'thread.started', 15_000);
      await run.waitForEvent(isReconnecting, 15_000);
      const threadId = String(started['thread_id']);
      return ctx.snapshotAndKill(run, threadId, (lines) => hasUserMessage(lines, PROMPT));
    },
  },
  oneTurn('context-overflow-status', '400 context_length_exceeded.', () => ({
    kind: 'context_overflow',
    where: 'status',
  })),
  oneTurn('context-overflow-stream', 'response.failed with code context_length_exceeded.', () => ({
    kind: 'context_overflow',
    where: 'stream',
  })),
  oneTurn(
    'server-error-500',
    '500 on every try; request_max_retries = 0 and stream_max_retries = 0 (by default Codex makes 30 requests over ~25 s).',
    () => ({
      kind: 'status',
      status: 500,
      body: { error: { message: 'boom', type: 'server_error' } },
    }),
    { streamMaxRetries: 0, requestMaxRetries: 0 },
  ),
  {
    name: 'killed-mid-turn',
    description: 'A normal turn, then `exec resume` with a slow answer, kill -9 while it streams.',
    drive: async (ctx) => {
      const threadId = (await ctx.exec({ prompt: PROMPT })).threadId;
      if (threadId === undefined) throw new Error('the first run started no thread');
      ctx.fake.enqueueResponses({ kind: 'slow', text: 'x'.repeat(100), delayMs: 200, chunks: 100 });
      const run = ctx.start({ prompt: CONTINUE_PROMPT, resume: threadId });
      await ctx.fake.waitForRequest((r) => r.responses?.lastUserText === CONTINUE_PROMPT, 15_000);
      return ctx.snapshotAndKill(run, threadId, (lines) => hasUserMessage(lines, CONTINUE_PROMPT));
    },
  },
  {
    name: 'interrupted',
    description: 'SIGINT to `codex exec` while the answer streams.',
    drive: async (ctx) => {
      ctx.fake.enqueueResponses({ kind: 'slow', text: 'x'.repeat(100), delayMs: 200, chunks: 100 });
      const run = ctx.start({ prompt: PROMPT });
      await ctx.fake.waitForRequest((r) => r.responses?.lastUserText === PROMPT, 15_000);
      run.child.kill('SIGINT');
      await run.done;
      return undefined;
    },
  },
  {
    name: 'resumed-after-usage-limit',
    description:
      'Usage limit on the first turn, then `exec resume <id> "continue where you stopped"`.',
    drive: (ctx) =>
      failThenResume(ctx, { kind: 'usage_limit', resetsAtSeconds: nowSeconds() + 3600 }),
  },
  {
    name: 'resumed-after-context-overflow',
    description: 'Context overflow, then `exec resume`: a compaction request, then the turn.',
    drive: (ctx) => failThenResume(ctx, { kind: 'context_overflow', where: 'status' }),
  },
  {
    name: 'compaction-failed',
    description: 'Context overflow, then `exec resume` whose compaction requests overflow too.',
    drive: (ctx) => {
      ctx.fake.setResponsesCompaction({ kind: 'context_overflow', where: 'status' });
      return failThenResume(ctx, { kind: 'context_overflow', where: 'status' });
    },
  },
];

export function codexScenario(name: string): CodexScenario {
  const found = CODEX_SCENARIOS.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no Codex scenario ${name}`);
  return found;
}
