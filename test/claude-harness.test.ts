import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import { startFakeLlm, type FakeLlm, type RecordedRequest } from './fake-llm/server.js';
import { failedTurn } from './fake-llm/script.js';
import {
  compactTranscriptLine,
  createClaudeHome,
  isAlive,
  poll,
  readJsonl,
  recordFixture,
  runHeadless,
  startHeadless,
  startInteractive,
  type ClaudeAuth,
  type ClaudeHome,
  type HeadlessResult,
} from './helpers/claude.js';

// Real Claude Code (the pinned devDependency, 2.1.332) against the project's fake LLM on
// loopback: each test has its own HOME (hooks forwarding every payload to hooks.jsonl) and resets
// the shared fake. These tests pin the shapes the Claude Code adapter relies on; with
// PALINGENESIS_RECORD_FIXTURES=1 they also write test/fixtures/claude-code/<scenario>.json.

const VERSION = '2.1.332';

const initLine = z.looseObject({
  type: z.literal('system'),
  subtype: z.literal('init'),
  session_id: z.uuid(),
  cwd: z.string(),
  claude_code_version: z.literal(VERSION),
});
/** The last stream-json line; `subtype` is "success" even when the turn failed. */
const resultLine = z.looseObject({
  type: z.literal('result'),
  subtype: z.literal('success'),
  is_error: z.boolean(),
  terminal_reason: z.string(),
  api_error_status: z.number().nullable(),
  result: z.string(),
  session_id: z.uuid(),
});
const textContent = z.array(z.looseObject({ type: z.string(), text: z.string().optional() }));
/** The failed turn's assistant line in stream-json (snake_case fields). */
const streamApiError = z.looseObject({
  type: z.literal('assistant'),
  message: z.looseObject({ model: z.literal('<synthetic>'), content: textContent }),
  error: z.string(),
  is_api_error_message: z.literal(true),
  api_error_status: z.number(),
  api_error_type: z.string(),
});
/** The same in the transcript (camelCase fields). */
const transcriptApiError = z.looseObject({
  type: z.literal('assistant'),
  message: z.looseObject({ model: z.literal('<synthetic>'), content: textContent }),
  error: z.string(),
  isApiErrorMessage: z.literal(true),
  apiErrorStatus: z.number(),
  apiErrorType: z.string(),
});
const rateLimitInfo = z.looseObject({
  status: z.literal('rejected'),
  resetsAt: z.number(),
  rateLimitType: z.literal('five_hour'),
});
const hookBase = z.looseObject({
  session_id: z.uuid(),
  transcript_path: z.string(),
  cwd: z.string(),
  hook_event_name: z.string(),
});
const sessionFile = z.looseObject({
  pid: z.number(),
  sessionId: z.uuid(),
  cwd: z.string(),
  /** Missing in the first write at startup (no `updatedAt` either), then idle / busy. */
  status: z.enum(['idle', 'busy']).optional(),
  kind: z.literal('interactive'),
  entrypoint: z.enum(['cli', 'sdk-cli']),
  tmux: z.string(),
  version: z.literal(VERSION),
});

type Line = Record<string, unknown>;

function asLines(values: readonly unknown[]): Line[] {
  return values.map((value) => z.record(z.string(), z.unknown()).parse(value));
}

function ofType(lines: readonly unknown[], type: string, subtype?: string): Line[] {
  return asLines(lines).filter(
    (line) => line['type'] === type && (subtype === undefined || line['subtype'] === subtype),
  );
}

function only(lines: readonly unknown[], type: string, subtype?: string): Line {
  const found = ofType(lines, type, subtype);
  assert.equal(found.length, 1, `one ${type}/${subtype ?? '*'} line expected`);
  return found[0] ?? {};
}

/** The last user or assistant line: what a turn ended with (other line types follow it). */
function lastTurnLine(transcript: readonly unknown[]): Line {
  const found = asLines(transcript).filter(
    (l) => l['type'] === 'user' || l['type'] === 'assistant',
  );
  const last = found.at(-1);
  assert.ok(last, 'no user/assistant line in the transcript');
  return last;
}

function textOf(line: Line): string {
  const message = z
    .looseObject({ content: z.union([z.string(), textContent]) })
    .parse(line['message']);
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => part.text ?? '').join('\n');
}

function hooksNamed(payloads: readonly unknown[], name: string): Line[] {
  return asLines(payloads).filter((p) => p['hook_event_name'] === name);
}

function oneHook(payloads: readonly unknown[], name: string): Line {
  const found = hooksNamed(payloads, name);
  assert.equal(found.length, 1, `one ${name} hook expected`);
  return hookBase.parse(found[0]);
}

function isPrompt(text: string): (r: RecordedRequest) => boolean {
  return (r) => r.anthropic?.role === 'main' && r.anthropic.lastUserText.includes(text);
}

/**
 * The one payload of that event, once hooks.jsonl holds it: Claude Code may exit before its
 * last hook has written (1 in 751 under load), so wait for the fact, never read at the exit.
 */
async function theHook(h: ClaudeHome, name: string): Promise<Line> {
  const found = await waitForHooks(h, name);
  assert.equal(found.length, 1, `one ${name} hook expected`);
  return hookBase.parse(found[0]);
}

/** Polls hooks.jsonl until `count` payloads of that event are there (hooks run asynchronously). */
async function waitForHooks(h: ClaudeHome, name: string, count = 1): Promise<Line[]> {
  return poll(
    async () => {
      const found = hooksNamed(await h.hookPayloads(), name);
      return found.length >= count ? found : undefined;
    },
    15_000,
    `${count} ${name} hook payload(s)`,
  );
}

async function readSession(h: ClaudeHome, pid: number): Promise<z.infer<typeof sessionFile>> {
  return sessionFile.parse(await h.readSessionFile(pid));
}

async function waitForStatus(
  h: ClaudeHome,
  pid: number,
  status: 'idle' | 'busy',
): Promise<z.infer<typeof sessionFile>> {
  return poll(
    async () => {
      const now = await readSession(h, pid);
      return now.status === status ? now : undefined;
    },
    5_000,
    `sessions/${pid}.json with status ${status}`,
  );
}

/** What the fake received, without bodies (the system prompt and tools are ~60 kB). */
function summarizeRequests(fake: FakeLlm): unknown[] {
  return fake.requests().map((r) => ({
    seq: r.seq,
    method: r.method,
    path: r.path,
    answeredWith: r.answeredWith,
    ...(r.anthropic === undefined
      ? {}
      : {
          role: r.anthropic.role,
          model: r.anthropic.body.model,
          stream: r.anthropic.body.stream,
          tools: (r.anthropic.body.tools ?? []).length,
          messages: r.anthropic.body.messages.map((m) => m.role),
          lastUserText: r.anthropic.lastUserText.slice(-300),
          sessionId: r.anthropic.sessionId,
        }),
  }));
}

describe("the fake LLM's Anthropic side, without Claude Code", () => {
  const post = (url: string, body: unknown): Promise<Response> =>
    fetch(url, { method: 'POST', body: JSON.stringify(body) });
  const ask = (text: string, extra: Record<string, unknown> = {}) => ({
    model: 'claude-test',
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    tools: [{ name: 'Bash' }],
    ...extra,
  });

  it('streams SSE events, answers stream:false with JSON, count_tokens, side requests', async () => {
    const f = await startFakeLlm();
    try {
      f.enqueueAnthropic({ kind: 'ok', text: 'streamed' }, { kind: 'ok', text: 'whole' });
      const sse = await (
        await post(`${f.anthropicUrl}/v1/messages`, ask('a', { stream: true }))
      ).text();
      assert.deepEqual(
        [...sse.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]),
        [
          'message_start',
          'content_block_start',
          'ping',
          'content_block_delta',
          'content_block_stop',
          'message_delta',
          'message_stop',
        ],
      );
      const whole = z
        .looseObject({ content: textContent, stop_reason: z.string() })
        .parse(await (await post(`${f.anthropicUrl}/v1/messages`, ask('b'))).json());
      assert.deepEqual([whole.content[0]?.text, whole.stop_reason], ['whole', 'end_turn']);
      const tokens = await post(`${f.anthropicUrl}/v1/messages/count_tokens`, ask('c'));
      assert.ok(
        z.looseObject({ input_tokens: z.number() }).parse(await tokens.json()).input_tokens > 0,
      );
      const title = ask('d', {
        tools: [],
        output_config: {
          format: { type: 'json_schema', schema: { properties: { title: { type: 'string' } } } },
        },
      });
      const side = z
        .looseObject({ content: textContent })
        .parse(await (await post(`${f.anthropicUrl}/v1/messages`, title)).json());
      assert.equal(side.content[0]?.text, '{"title":"Fake title"}');
      f.enqueueAnthropic({ kind: 'plan_limit', resetAtSeconds: 1_900_000_000 });
      const limited = await post(`${f.anthropicUrl}/v1/messages`, ask('e'));
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('anthropic-ratelimit-unified-reset'), '1900000000');
      assert.deepEqual(
        f.requests().map((r) => r.answeredWith),
        ['ok', 'ok', 'count_tokens', 'side:ok', 'plan_limit'],
      );
      assert.deepEqual(
        f.anthropicRequests().map((r) => [r.role, r.lastUserText]),
        [
          ['main', 'a'],
          ['main', 'b'],
          ['side', 'd'],
          ['main', 'e'],
        ],
      );
    } finally {
      await f.close();
    }
  });
});

describe('real Claude Code driven through the fake LLM', { timeout: 180_000 }, () => {
  let fake: FakeLlm | undefined;
  before(async () => {
    fake = await startFakeLlm();
  });
  after(async () => {
    await fake?.close();
  });
  beforeEach(() => {
    fake?.reset();
  });

  /** A fresh HOME for one scenario; a failure carries what the fake received; HOME is removed. */
  async function scenario(
    options: { auth?: ClaudeAuth },
    body: (h: ClaudeHome, f: FakeLlm) => Promise<void>,
  ): Promise<void> {
    if (fake === undefined) throw new Error('the fake LLM did not start');
    const f = fake;
    const h = await createClaudeHome({ baseUrl: f.anthropicUrl, auth: options.auth ?? 'api-key' });
    try {
      await body(h, f);
    } catch (error) {
      const requests = JSON.stringify(summarizeRequests(f), null, 1);
      throw new Error(`${String(error)}\nfake LLM requests:\n${requests}`, { cause: error });
    } finally {
      await h.remove();
    }
  }

  /** Records a headless scenario as a fixture (only with PALINGENESIS_RECORD_FIXTURES=1). */
  async function record(
    name: string,
    description: string,
    h: ClaudeHome,
    runs: readonly HeadlessResult[],
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    if (fake === undefined) return;
    const sessionId = runs[0]?.sessionId;
    await recordFixture(
      name,
      {
        scenario: name,
        description,
        recordedWith: { claudeCode: VERSION, script: 'test/claude-harness.test.ts' },
        sessionId,
        runs: runs.map((r) => ({ exitCode: r.exitCode, signal: r.signal, streamJson: r.lines })),
        transcript:
          sessionId === undefined
            ? []
            : (await h.readTranscript(sessionId)).map(compactTranscriptLine),
        hooks: await h.hookPayloads(),
        llmRequests: summarizeRequests(fake),
        ...extra,
      },
      h,
      fake.anthropicUrl,
    );
  }

  it('a normal headless turn: init, assistant, result completed; transcript; hooks', async () => {
    await scenario({}, async (h, f) => {
      f.enqueueAnthropic({ kind: 'ok', text: 'Hello from the fake.' });
      const run = await runHeadless(h, 'Say hello.');
      assert.equal(run.exitCode, 0, run.stderr);
      const init = initLine.parse(only(run.lines, 'system', 'init'));
      assert.equal(init.cwd, h.project);
      assert.equal(run.sessionId, init.session_id);
      const assistant = only(run.lines, 'assistant');
      assert.equal(textOf(assistant), 'Hello from the fake.');
      const result = resultLine.parse(run.lines.at(-1));
      assert.equal(result.is_error, false);
      assert.equal(result.terminal_reason, 'completed');
      assert.equal(result.api_error_status, null);
      assert.equal(result.result, 'Hello from the fake.');
      // One main request per turn; the session id rides in a header.
      const requests = f.anthropicRequests();
      assert.deepEqual(
        requests.map((r) => r.role),
        ['main'],
      );
      const [request] = requests;
      assert.ok(request);
      assert.equal(request.sessionId, init.session_id);
      assert.ok(request.lastUserText.includes('Say hello.'));

      const transcript = await h.readTranscript(init.session_id);
      const user = only(transcript, 'user');
      assert.equal(textOf(user), 'Say hello.');
      assert.equal(user['sessionId'], init.session_id);
      assert.equal(user['cwd'], h.project);
      assert.equal(user['entrypoint'], 'sdk-cli');
      const last = lastTurnLine(transcript);
      assert.equal(last['type'], 'assistant');
      assert.equal(
        z.looseObject({ model: z.string() }).parse(last['message']).model,
        init['model'],
      );
      assert.notEqual(
        asLines(transcript).at(-1)?.['type'],
        'assistant',
        'bookkeeping lines follow',
      );
      assert.equal(await h.readSessionFile(run.pid), undefined, 'removed on a clean exit');

      await waitForHooks(h, 'SessionEnd');
      const hooks = await h.hookPayloads();
      assert.deepEqual(
        asLines(hooks).map((p) => p['hook_event_name']),
        ['SessionStart', 'UserPromptSubmit', 'Stop', 'SessionEnd'],
      );
      assert.equal(oneHook(hooks, 'SessionStart')['source'], 'startup');
      const stop = oneHook(hooks, 'Stop');
      assert.equal(stop['last_assistant_message'], 'Hello from the fake.');
      assert.equal(stop['transcript_path'], h.transcriptPath(init.session_id));
      assert.equal(oneHook(hooks, 'SessionEnd')['reason'], 'other');
      await record('normal-turn', 'A headless turn answered normally.', h, [run]);
    });
  });

  it('a plan-limit warning: rate_limit_event allowed_warning while the turn completes', async () => {
    await scenario({ auth: 'oauth' }, async (h, f) => {
      const resetAt = Math.floor(Date.now() / 1000) + 3600;
      const reset = String(resetAt);
      f.enqueueAnthropic({
        kind: 'ok',
        text: 'Still fine.',
        headers: {
          'anthropic-ratelimit-unified-status': 'allowed_warning',
          'anthropic-ratelimit-unified-reset': reset,
          'anthropic-ratelimit-unified-representative-claim': 'five_hour',
          'anthropic-ratelimit-unified-5h-status': 'allowed_warning',
          'anthropic-ratelimit-unified-5h-utilization': '0.92',
          'anthropic-ratelimit-unified-5h-surpassed-threshold': '0.9',
          'anthropic-ratelimit-unified-5h-reset': reset,
        },
      });
      const run = await runHeadless(h, 'Work near the limit.');
      assert.equal(run.exitCode, 0, run.stderr);
      const info = z
        .looseObject({ status: z.string(), resetsAt: z.number(), utilization: z.number() })
        .parse(only(run.lines, 'rate_limit_event')['rate_limit_info']);
      assert.deepEqual(
        [info.status, info.resetsAt, info.utilization],
        ['allowed_warning', resetAt, 0.92],
      );
      const result = resultLine.parse(run.lines.at(-1));
      assert.equal(result.terminal_reason, 'completed');
      assert.equal(hooksNamed(await h.hookPayloads(), 'StopFailure').length, 0);
      await record('plan-limit-warning', 'OAuth; 92 % of the 5-hour window used.', h, [run]);
    });
  });

  it('a plan limit: rate_limit_event rejected with resetsAt, synthetic usage_limit_reached', async () => {
    await scenario({ auth: 'oauth' }, async (h, f) => {
      const resetAt = Math.floor(Date.now() / 1000) + 3 * 3600;
      f.enqueueAnthropic({ kind: 'plan_limit', resetAtSeconds: resetAt });
      const run = await runHeadless(h, 'Hit the plan limit.');
      assert.equal(run.exitCode, 1);
      const event = only(run.lines, 'rate_limit_event');
      assert.equal(rateLimitInfo.parse(event['rate_limit_info']).resetsAt, resetAt);
      const error = streamApiError.parse(only(run.lines, 'assistant'));
      assert.equal(error.error, 'rate_limit');
      assert.equal(error.api_error_status, 429);
      assert.equal(error['api_error'], 'usage_limit_reached');
      const params = z
        .looseObject({ rate_limit_info: rateLimitInfo })
        .parse(error['api_error_params']);
      assert.equal(params.rate_limit_info.resetsAt, resetAt);
      assert.match(textOf(error), /^You've hit your 5-hour limit · resets /);
      const result = resultLine.parse(run.lines.at(-1));
      assert.equal(result.is_error, true);
      assert.equal(result.terminal_reason, 'api_error');
      assert.equal(result.api_error_status, 429);
      assert.equal(result['api_error'], 'usage_limit_reached');
      // A plan limit is not retried: one request.
      assert.equal(f.anthropicRequests('main').length, 1);

      const last = transcriptApiError.parse(
        lastTurnLine(await h.readTranscript(result.session_id)),
      );
      assert.equal(last.error, 'rate_limit');
      assert.equal(last.apiErrorStatus, 429);
      assert.equal(last['apiError'], 'usage_limit_reached');
      const transcriptParams = z
        .looseObject({ rate_limit_info: rateLimitInfo })
        .parse(last['apiErrorParams']);
      assert.equal(transcriptParams.rate_limit_info.resetsAt, resetAt);

      const stopFailure = await theHook(h, 'StopFailure');
      assert.equal(stopFailure['error'], 'rate_limit');
      assert.equal(stopFailure['error_details'], undefined, 'no details, no resetsAt in the hook');
      assert.equal(stopFailure['last_assistant_message'], textOf(error));
      await record('plan-limit', 'OAuth token; 429 with unified-status rejected.', h, [run]);
    });
  });

  it('an API 429: one retry (retry-after honoured), then a synthetic rate_limit error', async () => {
    await scenario({}, async (h, f) => {
      f.enqueueAnthropic(...failedTurn({ kind: 'rate_limit', retryAfterSeconds: 1 }));
      const run = await runHeadless(h, 'Hit the API rate limit.');
      assert.equal(run.exitCode, 1);
      const retry = only(run.lines, 'system', 'api_retry');
      assert.equal(retry['attempt'], 1);
      assert.equal(retry['max_retries'], 1);
      assert.equal(retry['error_status'], 429);
      assert.equal(retry['error'], 'rate_limit');
      assert.ok(z.number().min(1000).parse(retry['retry_delay_ms']) < 2000, 'retry-after: 1');
      const error = streamApiError.parse(only(run.lines, 'assistant'));
      assert.equal(error.error, 'rate_limit');
      assert.equal(error.api_error_type, 'rate_limit_error');
      assert.equal(error['api_error'], undefined, 'no usage_limit_reached');
      assert.equal(
        textOf(error),
        'API Error: Request rejected (429) · Rate limited by the fake LLM',
      );
      const result = resultLine.parse(run.lines.at(-1));
      assert.equal(result.terminal_reason, 'api_error');
      assert.equal(result.api_error_status, 429);
      assert.equal(f.anthropicRequests('main').length, 2);

      const transcript = await h.readTranscript(result.session_id);
      const apiError = only(transcript, 'system', 'api_error');
      assert.equal(apiError['retryAttempt'], 1);
      assert.equal(apiError['maxRetries'], 1);
      assert.equal(z.looseObject({ status: z.number() }).parse(apiError['error']).status, 429);
      const last = transcriptApiError.parse(lastTurnLine(transcript));
      assert.equal(last.error, 'rate_limit');
      assert.equal((await theHook(h, 'StopFailure'))['error'], 'rate_limit');
      await record('api-rate-limit', 'API key; 429 rate_limit_error, retry-after 1.', h, [run]);
    });
  });

  it('a 529 overloaded: error "server_error" everywhere, api_error_type overloaded_error', async () => {
    await scenario({}, async (h, f) => {
      f.enqueueAnthropic(...failedTurn({ kind: 'overloaded' }));
      const run = await runHeadless(h, 'Meet an overloaded server.');
      assert.equal(run.exitCode, 1);
      assert.equal(only(run.lines, 'system', 'api_retry')['error'], 'overloaded');
      const error = streamApiError.parse(only(run.lines, 'assistant'));
      assert.equal(error.error, 'server_error');
      assert.equal(error.api_error_status, 529);
      assert.equal(error.api_error_type, 'overloaded_error');
      assert.match(textOf(error), /^API Error: 529 Overloaded\./);
      const result = resultLine.parse(run.lines.at(-1));
      assert.equal(result.terminal_reason, 'api_error');
      assert.equal(result.api_error_status, 529);
      const last = transcriptApiError.parse(
        lastTurnLine(await h.readTranscript(result.session_id)),
      );
      assert.equal(last.error, 'server_error');
      assert.equal((await theHook(h, 'StopFailure'))['error'], 'server_error');
      await record('overloaded', '529 overloaded_error on the try and the retry.', h, [run]);
    });
  });

  it('prompt too long on a first turn: no compaction, terminal_reason prompt_too_long', async () => {
    await scenario({}, async (h, f) => {
      f.enqueueAnthropic({ kind: 'prompt_too_long' });
      const run = await runHeadless(h, 'Too long from the start.');
      assert.equal(run.exitCode, 1);
      const error = streamApiError.parse(only(run.lines, 'assistant'));
      assert.equal(error.error, 'invalid_request');
      assert.equal(error.api_error_status, 400);
      assert.match(textOf(error), /^Prompt is too long · .*cannot be compacted/);
      const result = resultLine.parse(run.lines.at(-1));
      assert.equal(result.terminal_reason, 'prompt_too_long');
      assert.equal(f.anthropicRequests('compaction').length, 0);
      const last = transcriptApiError.parse(
        lastTurnLine(await h.readTranscript(result.session_id)),
      );
      assert.equal(last.error, 'invalid_request');
      assert.match(z.string().parse(last['errorDetails']), /prompt is too long: 210000 tokens/);
      const stopFailure = await theHook(h, 'StopFailure');
      assert.equal(stopFailure['error'], 'invalid_request');
      assert.match(z.string().parse(stopFailure['error_details']), /prompt is too long/);
      await record('prompt-too-long-first-turn', 'A 400 prompt-too-long on turn 1.', h, [run]);
    });
  });

  it('prompt too long later, compaction fails: compact_result failed, prompt_too_long', async () => {
    await scenario({}, async (h, f) => {
      const first = await runHeadless(h, 'First turn.');
      assert.equal(first.exitCode, 0, first.stderr);
      f.enqueueAnthropic({ kind: 'prompt_too_long' });
      f.setCompaction({ kind: 'prompt_too_long' });
      const run = await runHeadless(h, 'Second turn.', { resume: first.sessionId });
      assert.equal(run.exitCode, 1);
      const statuses = ofType(run.lines, 'system', 'status');
      assert.deepEqual(
        statuses.map((s) => [s['status'], s['compact_result'], s['compact_error']]),
        [
          ['compacting', undefined, undefined],
          [null, 'failed', 'exhausted'],
        ],
      );
      assert.equal(ofType(run.lines, 'system', 'compact_boundary').length, 0);
      const error = streamApiError.parse(only(run.lines, 'assistant'));
      assert.equal(textOf(error), 'Prompt is too long');
      assert.equal(error.error, 'invalid_request');
      const result = resultLine.parse(run.lines.at(-1));
      assert.equal(result.terminal_reason, 'prompt_too_long');
      assert.equal(result.is_error, true);
      assert.ok(f.anthropicRequests('compaction').length >= 1, 'compaction was attempted');

      const transcript = await h.readTranscript(result.session_id);
      assert.equal(ofType(transcript, 'system', 'compact_boundary').length, 0);
      const last = transcriptApiError.parse(lastTurnLine(transcript));
      assert.equal(last.error, 'invalid_request');
      assert.match(z.string().parse(last['errorDetails']), /prompt is too long/);
      // StopFailure fires for each failed compaction attempt too (those carry `agent_id`), then
      // once for the turn itself.
      await poll(
        async () =>
          hooksNamed(await h.hookPayloads(), 'StopFailure').some((p) => p['agent_id'] === undefined)
            ? true
            : undefined,
        15_000,
        'the StopFailure hook of the turn itself',
      );
      const hooks = await h.hookPayloads();
      const failures = hooksNamed(hooks, 'StopFailure');
      const [forAgents, forTurn] = [
        failures.filter((p) => typeof p['agent_id'] === 'string'),
        failures.filter((p) => p['agent_id'] === undefined),
      ];
      assert.ok(forAgents.length >= 1, `StopFailure payloads: ${JSON.stringify(failures)}`);
      assert.equal(forTurn.length, 1, `StopFailure payloads: ${JSON.stringify(failures)}`);
      const [turnFailure = {}] = forTurn;
      assert.equal(turnFailure['error'], 'invalid_request');
      assert.match(z.string().parse(turnFailure['error_details']), /prompt is too long/);
      assert.equal(oneHook(hooks, 'PreCompact')['trigger'], 'auto');
      await record('compaction-failed', 'Turn 2 too long; every compaction too long.', h, [
        first,
        run,
      ]);
    });
  });

  it('prompt too long later, compaction succeeds: compact_boundary, turn completes', async () => {
    await scenario({}, async (h, f) => {
      const first = await runHeadless(h, 'First turn.');
      assert.equal(first.exitCode, 0, first.stderr);
      f.enqueueAnthropic({ kind: 'prompt_too_long' }, { kind: 'ok', text: 'After compaction.' });
      const run = await runHeadless(h, 'Second turn.', { resume: first.sessionId });
      assert.equal(run.exitCode, 0, run.stderr);
      const boundary = only(run.lines, 'system', 'compact_boundary');
      const metadata = z.looseObject({ trigger: z.string() }).parse(boundary['compact_metadata']);
      assert.equal(metadata.trigger, 'auto');
      const result = resultLine.parse(run.lines.at(-1));
      assert.equal(result.terminal_reason, 'completed');
      assert.equal(result.result, 'After compaction.');
      assert.equal(f.anthropicRequests('compaction').length, 1);

      const transcript = await h.readTranscript(result.session_id);
      const saved = only(transcript, 'system', 'compact_boundary');
      assert.equal(
        z.looseObject({ trigger: z.string() }).parse(saved['compactMetadata']).trigger,
        'auto',
      );
      const summary = ofType(transcript, 'user').find((l) => l['isCompactSummary'] === true);
      assert.ok(summary, 'a user line with isCompactSummary');
      assert.match(
        textOf(summary),
        /^This session is being continued from a previous conversation/,
      );
      assert.equal(textOf(lastTurnLine(transcript)), 'After compaction.');
      await waitForHooks(h, 'PostCompact');
      const hooks = await h.hookPayloads();
      assert.equal(oneHook(hooks, 'PreCompact')['trigger'], 'auto');
      assert.equal(oneHook(hooks, 'PostCompact')['trigger'], 'auto');
      assert.equal(hooksNamed(hooks, 'StopFailure').length, 0);
      await record('compaction-succeeded', 'Turn 2 too long once; compaction works.', h, [
        first,
        run,
      ]);
    });
  });

  it('claude -p --resume <id> continues the same session id and transcript file', async () => {
    await scenario({}, async (h, f) => {
      const first = await runHeadless(h, 'First turn.');
      assert.ok(first.sessionId);
      const resumed = await runHeadless(h, 'continue', { resume: first.sessionId });
      assert.equal(resumed.exitCode, 0, resumed.stderr);
      assert.equal(
        initLine.parse(only(resumed.lines, 'system', 'init')).session_id,
        first.sessionId,
      );
      const files = await readdir(dirname(h.transcriptPath(first.sessionId)));
      assert.deepEqual(
        files.filter((name) => name.endsWith('.jsonl')),
        [`${first.sessionId}.jsonl`],
      );
      const users = ofType(await h.readTranscript(first.sessionId), 'user').map(textOf);
      assert.deepEqual(users, ['First turn.', 'continue']);
      // The resumed request carries the first turn.
      const second = f.anthropicRequests('main')[1];
      assert.deepEqual(
        second?.body.messages.map((m) => m.role),
        ['user', 'system', 'assistant', 'user'],
      );
      const starts = hooksNamed(await h.hookPayloads(), 'SessionStart');
      assert.deepEqual(
        starts.map((s) => [s['source'], s['session_id']]),
        [
          ['startup', first.sessionId],
          ['resume', first.sessionId],
        ],
      );
      await record('resume', 'claude -p --resume <id> "continue" after a normal turn.', h, [
        first,
        resumed,
      ]);
    });
  });

  it('CLAUDE_CONFIG_DIR moves projects/ (and .claude.json) out of ~/.claude', async () => {
    await scenario({}, async (h) => {
      const configDir = `${h.home.dir}/other-config`;
      const run = await runHeadless(h, 'Where do you write?', {
        env: { CLAUDE_CONFIG_DIR: configDir },
      });
      assert.equal(run.exitCode, 0, run.stderr);
      const sessionId = z.string().parse(run.sessionId);
      const moved = h.transcriptPath(sessionId).replace(h.configDir, configDir);
      assert.equal(lastTurnLine(await readJsonl(moved))['type'], 'assistant');
      await assert.rejects(h.readTranscript(sessionId), 'nothing under ~/.claude/projects');
      assert.ok((await readdir(configDir)).includes('.claude.json'));
    });
  });

  it('kill -9 of a headless run mid-turn: the transcript ends with the user prompt', async () => {
    await scenario({}, async (h, f) => {
      f.enqueueAnthropic({ kind: 'slow', text: 'a slow answer in pieces', delayMs: 1_000 });
      const running = startHeadless(h, 'Answer slowly.');
      await f.waitForRequest(isPrompt('Answer slowly.'), 15_000);
      await sleep(1_500); // two pieces streamed
      const run = await running.kill9();
      assert.equal(run.signal, 'SIGKILL');
      assert.equal(ofType(run.lines, 'result').length, 0);
      const sessionId = initLine.parse(only(run.lines, 'system', 'init')).session_id;
      const transcript = await h.readTranscript(sessionId);
      const last = lastTurnLine(transcript);
      assert.equal(last['type'], 'user');
      assert.equal(textOf(last), 'Answer slowly.');
      assert.equal(ofType(transcript, 'assistant').length, 0, 'no partial assistant line');
      const names = asLines(await h.hookPayloads()).map((p) => p['hook_event_name']);
      assert.deepEqual(names, ['SessionStart', 'UserPromptSubmit']);
      // Headless runs keep a sessions file too; kill -9 leaves it "busy" with a dead pid.
      const left = sessionFile.omit({ tmux: true }).parse(await h.readSessionFile(run.pid));
      assert.equal(left.status, 'busy');
      assert.equal(left.entrypoint, 'sdk-cli');
      assert.equal(left.sessionId, sessionId);
      assert.equal(isAlive(run.pid), false);
      await record('crash-kill9-headless', 'kill -9 while the answer streams.', h, [run], {
        sessionFile: await h.readSessionFile(run.pid),
      });
    });
  });

  it('interactive in tmux: sessions/<pid>.json, send-keys, hooks; kill -9 leaves it busy', async () => {
    await scenario({}, async (h, f) => {
      const c = await startInteractive(h);
      try {
        const ready = await waitForStatus(h, c.claudePid, 'idle');
        assert.equal(ready.cwd, h.project);
        assert.equal(ready.entrypoint, 'cli');
        assert.equal(ready.tmux, await c.display('#{session_name}:#{window_id}.#{pane_id}'));
        const paneCommand = await c.display('#{pane_current_command} #{pane_pid}');
        assert.equal(paneCommand, `claude ${c.shellPid}`);
        const [start = {}] = await waitForHooks(h, 'SessionStart');
        assert.equal(start['session_id'], ready.sessionId);
        assert.equal(start['source'], 'startup');

        f.enqueueAnthropic({ kind: 'ok', text: 'Interactive hello.' });
        await c.submit('Hello from tmux.');
        const request = await f.waitForRequest(isPrompt('Hello from tmux.'), 15_000);
        assert.equal(request.anthropic?.sessionId, ready.sessionId);
        const [stop] = await waitForHooks(h, 'Stop');
        assert.equal(stop?.['last_assistant_message'], 'Interactive hello.');
        await c.waitForScreen((screen) => screen.includes('Interactive hello.'), 10_000);

        f.enqueueAnthropic(...failedTurn({ kind: 'rate_limit', retryAfterSeconds: 0 }));
        await c.submit('Rate limit me.');
        const [failure] = await waitForHooks(h, 'StopFailure');
        assert.equal(failure?.['error'], 'rate_limit');
        const idle = await waitForStatus(h, c.claudePid, 'idle');

        f.enqueueAnthropic({ kind: 'slow', text: 'a slow answer in pieces', delayMs: 1_000 });
        await c.submit('Answer slowly in tmux.');
        await f.waitForRequest(isPrompt('Answer slowly in tmux.'), 15_000);
        const busy = await waitForStatus(h, c.claudePid, 'busy');
        // Transcript lines are written ~100 ms after the request: a kill -9 sooner loses the
        // prompt, and the transcript then ends with the previous turn.
        await poll(
          async () => {
            const lines = ofType(await h.readTranscript(ready.sessionId), 'user');
            return lines.some((l) => textOf(l) === 'Answer slowly in tmux.') ? true : undefined;
          },
          5_000,
          'the prompt in the transcript',
        );
        await sleep(1_000); // a piece of the answer streamed
        await c.kill9();
        const left = await readSession(h, c.claudePid);
        assert.equal(left.status, 'busy', 'kill -9 leaves the file busy');
        assert.equal(left.pid, c.claudePid);
        assert.equal(isAlive(left.pid), false);
        const afterKill = await poll(
          async () => {
            const now = await c.display('#{pane_current_command} #{pane_pid}');
            return now.startsWith('claude ') ? undefined : now;
          },
          5_000,
          'the shell back in the foreground',
        );
        assert.equal(afterKill, `${c.shellName} ${c.shellPid}`);
        const transcript = await h.readTranscript(ready.sessionId);
        const last = lastTurnLine(transcript);
        assert.equal(last['type'], 'user');
        assert.equal(textOf(last), 'Answer slowly in tmux.');
        const hooks = await h.hookPayloads();
        assert.equal(hooksNamed(hooks, 'SessionEnd').length, 0);
        if (fake !== undefined)
          await recordFixture(
            'interactive-tmux',
            {
              scenario: 'interactive-tmux',
              description:
                'Interactive claude typed into sh in tmux: a normal turn, a 429 turn, a slow turn killed with kill -9.',
              recordedWith: { claudeCode: VERSION, script: 'test/claude-harness.test.ts' },
              sessionId: ready.sessionId,
              tmux: { paneCommand, afterKill, pane: c.pane, shell: c.shellName },
              sessionFiles: { ready, idle, busy, afterKill9: left },
              transcript: transcript.map(compactTranscriptLine),
              hooks,
              llmRequests: summarizeRequests(fake),
            },
            h,
            fake.anthropicUrl,
          );
      } finally {
        await c.close();
      }
    });
  });

  it('interactive plan limit: StopFailure, Claude Code arms its own auto-continue; /exit', async () => {
    await scenario({ auth: 'oauth' }, async (h, f) => {
      const c = await startInteractive(h);
      try {
        const { sessionId } = await waitForStatus(h, c.claudePid, 'idle');
        const resetAt = Math.floor(Date.now() / 1000) + 2 * 3600;
        f.enqueueAnthropic({ kind: 'plan_limit', resetAtSeconds: resetAt });
        await c.submit('Hit the plan limit in tmux.');
        const [failure = {}] = await waitForHooks(h, 'StopFailure');
        assert.equal(failure['error'], 'rate_limit');
        assert.match(z.string().parse(failure['last_assistant_message']), /^You've hit your/);
        const screen = await c.waitForScreen((s) => s.includes('Continuing automatically'), 10_000);
        // The transcript is written ~100 ms behind the hooks and the screen.
        const transcript = await poll(
          async () => {
            const lines = await h.readTranscript(sessionId);
            return ofType(lines, 'system', 'informational').length > 0 ? lines : undefined;
          },
          5_000,
          'the auto-continue notice in the transcript',
        );
        const error = transcriptApiError.parse(
          asLines(transcript).find((l) => l['isApiErrorMessage'] === true),
        );
        assert.equal(error['apiError'], 'usage_limit_reached');
        const notice = only(transcript, 'system', 'informational');
        assert.match(
          z.string().parse(notice['content']),
          /^Usage limit reached · set to continue automatically at /,
        );
        assert.equal(notice['level'], 'notice');

        await c.submit('/exit');
        const [end] = await waitForHooks(h, 'SessionEnd');
        await poll(() => (isAlive(c.claudePid) ? undefined : true), 10_000, 'claude to exit');
        assert.equal(await h.readSessionFile(c.claudePid), undefined, 'removed on /exit');
        assert.equal(end?.['reason'], 'prompt_input_exit');
        if (fake !== undefined)
          await recordFixture(
            'interactive-plan-limit',
            {
              scenario: 'interactive-plan-limit',
              description:
                'Interactive claude with an OAuth token hits a plan limit (reset in 2 h), then /exit.',
              recordedWith: { claudeCode: VERSION, script: 'test/claude-harness.test.ts' },
              sessionId,
              screenAfterLimit: screen.split('\n').filter((line) => line.trim() !== ''),
              transcript: (await h.readTranscript(sessionId)).map(compactTranscriptLine),
              hooks: await h.hookPayloads(),
              llmRequests: summarizeRequests(fake),
            },
            h,
            fake.anthropicUrl,
          );
      } finally {
        await c.close();
      }
    });
  });
});
