import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { CODEX_COMPACTION_SUMMARY } from './fake-llm/openai-responses.js';
import type { ResponsesAnswer } from './fake-llm/script.js';
import { startFakeLlm } from './fake-llm/server.js';
import type { CodexExecResult, ExecEvent } from './helpers/codex.js';
import {
  eventMsgs,
  lastEventMsg,
  taskCompleteSchema,
  tokenCountSchema,
  type RolloutLine,
} from './helpers/codex-rollout.js';
import { runScenario, type CodexScenarioRun } from './helpers/codex-scenario-run.js';
import { codexScenario, CONTINUE_PROMPT, PROMPT } from './helpers/codex-scenarios.js';

// The real Codex CLI (the pinned devDependency, 0.171.0, native binary) against the fake LLM's
// Responses API, offline. Each test runs one scenario of test/helpers/codex-scenarios.ts in its
// own fake and CODEX_HOME, so they run concurrently. These pin what the Codex adapter relies on:
// `exec --json` stdout, exit codes, and the rollout's last event_msg.
//
// Answers to the open questions, as observed:
// - "Reconnecting... n/5" is only on exec stdout (an `error` event). During a Retry-After sleep
//   the rollout holds task_started, the user message and its item_completed: no error, no
//   task_complete — indistinguishable from a turn still waiting for its first token.
// - A live `codex exec` keeps its rollout open (/proc/<pid>/fd) and holds an exclusive flock on
//   `$CODEX_HOME/thread-writer-locks/<thread id>.lock` (the file stays after exit and kill -9;
//   the lock goes). Its cmdline names the thread only for `exec resume <id>`.

const VERSION = '0.171.0';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UPGRADE =
  'Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits';
const CONTEXT_FULL =
  "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.";
const RETRY_LIMIT_429 =
  /^exceeded retry limit, last status: 429 Too Many Requests, request id: req_fake_\d+$/;

const agentMessage = z.looseObject({
  type: z.literal('item.completed'),
  item: z.looseObject({ type: z.literal('agent_message'), text: z.string() }),
});
const turnFailed = z.looseObject({
  type: z.literal('turn.failed'),
  error: z.looseObject({ message: z.string() }),
});

function messages(events: readonly ExecEvent[], type: string): string[] {
  return events.filter((e) => e.type === type).map((e) => String(e['message']));
}

/** A turn that failed: `error` then `turn.failed` with the same message, exit code 1. */
function failedMessage(result: CodexExecResult): string {
  assert.equal(result.exitCode, 1, `exit code; stderr:\n${result.stderr}`);
  const last = turnFailed.parse(result.events.at(-1));
  assert.equal(messages(result.events, 'error').at(-1), last.error.message);
  return last.error.message;
}

function lastTaskComplete(rollout: readonly RolloutLine[]): z.infer<typeof taskCompleteSchema> {
  return taskCompleteSchema.parse(lastEventMsg(rollout));
}

function primaryWindows(rollout: readonly RolloutLine[]): unknown[] {
  return eventMsgs(rollout, 'token_count').map(
    (payload) => tokenCountSchema.parse(payload).rate_limits?.primary ?? null,
  );
}

function turnRequests(run: CodexScenarioRun) {
  return run.requests.flatMap((r) => (r.responses?.kind === 'turn' ? [r.responses] : []));
}

function scriptedReset(run: CodexScenarioRun): number {
  const answer: ResponsesAnswer | undefined = run.scripted[0];
  assert.ok(answer?.kind === 'usage_limit' && answer.resetsAtSeconds !== undefined);
  return answer.resetsAtSeconds;
}

/** Codex's reset text with TZ=UTC: "2:18 PM" today, "Dec 5th, 2026 1:18 PM" another day. */
function resetText(resetsAtSeconds: number, nowSeconds: number): string {
  const reset = new Date(resetsAtSeconds * 1000);
  const hours = reset.getUTCHours();
  const minutes = String(reset.getUTCMinutes()).padStart(2, '0');
  const time = `${hours % 12 === 0 ? 12 : hours % 12}:${minutes} ${hours < 12 ? 'AM' : 'PM'}`;
  const day = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 10);
  if (day(resetsAtSeconds) === day(nowSeconds)) return time;
  const date = reset.getUTCDate();
  const suffix = date >= 11 && date <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][date % 10] ?? 'th');
  const month = reset.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${month} ${date}${suffix}, ${reset.getUTCFullYear()} ${time}`;
}

const run = (name: string): Promise<CodexScenarioRun> => runScenario(codexScenario(name));

describe(
  `Codex ${VERSION} exec against the fake Responses API`,
  { concurrency: true, timeout: 120_000 },
  () => {
    it('ok: an answered turn, the thread in headers, metadata and the rollout', async () => {
      const r = await run('ok');
      const [result] = r.runs;
      assert.ok(result);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.deepEqual(result.events[0], { type: 'thread.started', thread_id: r.threadId });
      assert.match(r.threadId, UUID);
      const answer = result.events.flatMap((e) => {
        const parsed = agentMessage.safeParse(e);
        return parsed.success ? [parsed.data.item.text] : [];
      });
      assert.deepEqual(answer, [`Fake answer #1 (you said: ${PROMPT})`]);
      assert.equal(result.events.at(-1)?.type, 'turn.completed');
      const [request] = turnRequests(r);
      assert.ok(request);
      assert.equal(request.sessionId, r.threadId);
      assert.equal(request.threadId, r.threadId);
      assert.ok(request.metadata);
      assert.equal(request.metadata.history_initialization, 'new');
      assert.equal(request.metadata.request_kind, 'turn');
      assert.equal(request.metadata.turn_trigger, 'exec');
      assert.deepEqual(request.userTexts, [PROMPT]);
      assert.ok(r.rolloutPath.endsWith(`-${r.threadId}.jsonl`), r.rolloutPath);
      assert.match(r.rolloutPath, /^sessions\/\d{4}\/\d{2}\/\d{2}\/rollout-/);
      const meta = z
        .looseObject({
          id: z.string(),
          cwd: z.string(),
          originator: z.string(),
          cli_version: z.string(),
        })
        .parse(r.rollout[0]?.payload);
      assert.deepEqual(
        { id: meta.id, cwd: meta.cwd, originator: meta.originator, version: meta.cli_version },
        { id: r.threadId, cwd: r.paths.project, originator: 'codex_exec', version: VERSION },
      );
      const done = lastTaskComplete(r.rollout);
      assert.equal(done.error, undefined);
      assert.equal(done.last_agent_message, answer[0]);
    });

    it('usage limit with headers: the reset time in the text and in token_count', async () => {
      const r = await run('usage-limit-headers');
      const resetsAt = scriptedReset(r);
      const done = lastTaskComplete(r.rollout);
      const now = z.object({ completed_at: z.number() }).parse(done).completed_at;
      const expected = `You’ve hit your usage limit. ${UPGRADE} or try again at ${resetText(resetsAt, now)}.`;
      assert.equal(failedMessage(r.runs[0] as CodexExecResult), expected);
      assert.deepEqual(done.error, { message: expected, codex_error_info: 'usage_limit_exceeded' });
      assert.deepEqual(primaryWindows(r.rollout), [
        { used_percent: 100, window_minutes: 300, resets_at: resetsAt },
      ]);
      assert.equal(r.requests.length, 1, 'not retried');
    });

    it('usage limit, body only: the instant is only in the text (another day: with the date)', async () => {
      const r = await run('usage-limit-body-only');
      const resetsAt = scriptedReset(r);
      const done = lastTaskComplete(r.rollout);
      const now = z.object({ completed_at: z.number() }).parse(done).completed_at;
      assert.match(resetText(resetsAt, now), /^[A-Z][a-z]{2} \d{1,2}(st|nd|rd|th), \d{4} /);
      const expected = `You’ve hit your usage limit. ${UPGRADE} or try again at ${resetText(resetsAt, now)}.`;
      assert.equal(failedMessage(r.runs[0] as CodexExecResult), expected);
      assert.equal(done.error?.codex_error_info, 'usage_limit_exceeded');
      assert.deepEqual(primaryWindows(r.rollout), [null]);
    });

    it('usage limit without a reset: "try again later", headers without reset-at', async () => {
      const r = await run('usage-limit-no-reset');
      const expected = `You’ve hit your usage limit. ${UPGRADE} or try again later.`;
      assert.equal(failedMessage(r.runs[0] as CodexExecResult), expected);
      assert.deepEqual(lastTaskComplete(r.rollout).error, {
        message: expected,
        codex_error_info: 'usage_limit_exceeded',
      });
      assert.deepEqual(primaryWindows(r.rollout), [
        { used_percent: 100, window_minutes: 300, resets_at: null },
      ]);
    });

    it('usage limit with resets_in_seconds only: Codex ignores it', async () => {
      const r = await run('usage-limit-seconds-only');
      const expected = `You’ve hit your usage limit. ${UPGRADE} or try again later.`;
      assert.equal(failedMessage(r.runs[0] as CodexExecResult), expected);
      assert.equal(lastTaskComplete(r.rollout).error?.codex_error_info, 'usage_limit_exceeded');
    });

    it('insufficient_quota: "Quota exceeded", also usage_limit_exceeded, no retry', async () => {
      const r = await run('quota');
      const expected = 'Quota exceeded. Check your plan and billing details.';
      assert.equal(failedMessage(r.runs[0] as CodexExecResult), expected);
      assert.deepEqual(lastTaskComplete(r.rollout).error, {
        message: expected,
        codex_error_info: 'usage_limit_exceeded',
      });
      assert.equal(r.requests.length, 1);
    });

    it('429 without Retry-After: no retry at all, response_too_many_failed_attempts', async () => {
      const r = await run('rate-limit-no-retry-after');
      const result = r.runs[0] as CodexExecResult;
      assert.match(failedMessage(result), RETRY_LIMIT_429);
      assert.deepEqual(
        messages(result.events, 'error').filter((m) => m.startsWith('Reconnecting')),
        [],
      );
      assert.deepEqual(lastTaskComplete(r.rollout).error?.codex_error_info, {
        response_too_many_failed_attempts: { http_status_code: 429 },
      });
      assert.equal(r.requests.length, 1);
    });

    it('429 with Retry-After: 1: retried Retry-After apart, "Reconnecting" only on stdout', async () => {
      const r = await run('rate-limit-retry-after-short');
      const result = r.runs[0] as CodexExecResult;
      assert.match(failedMessage(result), RETRY_LIMIT_429);
      const reconnecting = messages(result.events, 'error').filter((m) =>
        m.startsWith('Reconnecting'),
      );
      assert.deepEqual(
        reconnecting.map((m) => m.slice(0, 'Reconnecting... 1/2'.length)),
        ['Reconnecting... 1/2', 'Reconnecting... 2/2'],
      );
      assert.equal(r.requests.length, 3);
      const gaps = r.requests.slice(1).map((q, i) => q.at - (r.requests[i]?.at ?? 0));
      assert.ok(
        gaps.every((gap) => gap >= 900),
        `Retry-After honoured: ${gaps.join(', ')} ms`,
      );
      assert.ok(!JSON.stringify(r.rollout).includes('Reconnecting'), 'Reconnecting in the rollout');
      assert.deepEqual(lastTaskComplete(r.rollout).error?.codex_error_info, {
        response_too_many_failed_attempts: { http_status_code: 429 },
      });
    });

    it('429 with Retry-After: 3600: Codex sleeps in the turn; the rollout shows nothing of it', async () => {
      const r = await run('rate-limit-retry-after-long');
      const live = r.live;
      assert.ok(live);
      const result = r.runs[0] as CodexExecResult;
      assert.equal(result.signal, 'SIGKILL');
      assert.match(
        messages(result.events, 'error')[0] ?? '',
        /^Reconnecting\.\.\. 1\/5 \(exceeded retry limit/,
      );
      assert.equal(r.requests.length, 1, 'asleep, not retrying');
      const types = live.rollout.map((l) => l.payload.type ?? l.type);
      assert.ok(types.includes('task_started'));
      assert.ok(!types.includes('task_complete') && !types.includes('turn_aborted'), types.join());
      assert.ok(!JSON.stringify(live.rollout).includes('Reconnecting'));
      assert.ok(!JSON.stringify(live.rollout).includes('429'), 'no error recorded while asleep');
      assert.equal(lastEventMsg(live.rollout)?.type, 'item_completed');
      // The live process: rollout and thread lock open, the lock held; a fresh exec's cmdline has
      // the prompt, not the thread id.
      assert.ok(live.openFiles.includes(r.rolloutPath), live.openFiles.join('\n'));
      assert.ok(live.openFiles.includes(`thread-writer-locks/${r.threadId}.lock`));
      assert.equal(live.lockHolder, live.pid);
      assert.equal(live.cmdline.at(-1), PROMPT);
      assert.ok(!live.cmdline.some((arg) => arg.includes(r.threadId)));
      assert.deepEqual(live.afterKill, { lockFileExists: true, lockHolder: undefined });
    });

    for (const [name, where] of [
      ['context-overflow-status', 'a 400'],
      ['context-overflow-stream', 'response.failed'],
    ] as const) {
      it(`context_length_exceeded as ${where}: context_window_exceeded`, async () => {
        const r = await run(name);
        assert.equal(failedMessage(r.runs[0] as CodexExecResult), CONTEXT_FULL);
        assert.deepEqual(lastTaskComplete(r.rollout).error, {
          message: CONTEXT_FULL,
          codex_error_info: 'context_window_exceeded',
        });
        assert.equal(r.requests.length, 1);
      });
    }

    it('500 (retries off): "high demand", internal_server_error', async () => {
      const r = await run('server-error-500');
      const expected =
        'We’re currently experiencing high demand, which may cause temporary errors.';
      assert.equal(failedMessage(r.runs[0] as CodexExecResult), expected);
      assert.deepEqual(lastTaskComplete(r.rollout).error, {
        message: expected,
        codex_error_info: 'internal_server_error',
      });
      assert.equal(r.requests.length, 1);
    });

    it('kill -9 during a resumed slow turn: task_started without task_complete', async () => {
      const r = await run('killed-mid-turn');
      const [first, second] = r.runs;
      assert.equal(first?.exitCode, 0);
      assert.equal(second?.signal, 'SIGKILL');
      const started = eventMsgs(r.rollout, 'task_started').map((p) => p['turn_id']);
      const completed = eventMsgs(r.rollout, 'task_complete').map((p) => p['turn_id']);
      assert.equal(started.length, 2);
      assert.deepEqual(completed, [started[0]]);
      assert.notEqual(lastEventMsg(r.rollout)?.type, 'task_complete');
      const live = r.live;
      assert.ok(live);
      // `exec resume <id>` names the thread on its cmdline; the rollout and lock are open.
      assert.deepEqual(live.cmdline.slice(-3), ['resume', r.threadId, CONTINUE_PROMPT]);
      assert.equal(live.cmdline[0], 'codex');
      assert.ok(live.openFiles.includes(r.rolloutPath), live.openFiles.join('\n'));
      assert.equal(live.lockHolder, live.pid);
      assert.deepEqual(live.afterKill, { lockFileExists: true, lockHolder: undefined });
    });

    it('SIGINT mid-turn: turn_aborted "interrupted", exit 1', async () => {
      const r = await run('interrupted');
      assert.equal(r.runs[0]?.exitCode, 1);
      assert.deepEqual(eventMsgs(r.rollout, 'task_complete'), []);
      const aborted = z
        .looseObject({ type: z.literal('turn_aborted'), reason: z.string() })
        .parse(lastEventMsg(r.rollout));
      assert.equal(aborted.reason, 'interrupted');
    });

    it('exec resume after a usage limit: same thread and rollout, cold_resume with the history', async () => {
      const r = await run('resumed-after-usage-limit');
      const [first, second] = r.runs;
      assert.equal(first?.exitCode, 1);
      assert.equal(second?.exitCode, 0, second?.stderr);
      assert.equal(second.threadId, r.threadId);
      assert.deepEqual(r.rolloutFiles, [r.rolloutPath]);
      const [failed, resumed] = turnRequests(r);
      assert.ok(failed?.metadata && resumed?.metadata);
      assert.equal(failed.metadata.history_initialization, 'new');
      assert.equal(resumed.metadata.history_initialization, 'cold_resume');
      assert.equal(resumed.threadId, r.threadId);
      assert.notEqual(resumed.metadata.turn_id, failed.metadata.turn_id);
      assert.deepEqual(resumed.userTexts, [PROMPT, CONTINUE_PROMPT]);
      const done = lastTaskComplete(r.rollout);
      assert.equal(done.error, undefined);
      assert.equal(done.last_agent_message, `Fake answer #2 (you said: ${CONTINUE_PROMPT})`);
      assert.equal(r.rollout.filter((l) => l.type === 'session_meta').length, 1);
    });

    it('exec resume after a context overflow compacts first (same path, request_kind compaction)', async () => {
      const r = await run('resumed-after-context-overflow');
      assert.equal(r.runs[1]?.exitCode, 0, r.runs[1]?.stderr);
      assert.deepEqual(
        r.requests.map((q) => q.answeredWith),
        ['context_overflow', 'compaction:ok', 'ok'],
      );
      assert.ok(r.requests.every((q) => q.path === '/v1/responses'));
      const compaction = r.requests[1]?.responses;
      assert.ok(compaction?.metadata);
      assert.equal(compaction.kind, 'compaction');
      assert.equal(compaction.metadata.request_kind, 'compaction');
      assert.equal(compaction.metadata.compaction?.reason, 'context_limit');
      assert.match(compaction.lastUserText, /^You are performing a CONTEXT CHECKPOINT COMPACTION/);
      assert.deepEqual(compaction.body.tools ?? [], []);
      const turn = r.requests[2]?.responses;
      assert.ok(turn?.userTexts.some((t) => t.includes(CODEX_COMPACTION_SUMMARY)));
      const compacted = r.rollout.filter((l) => l.type === 'compacted');
      assert.equal(compacted.length, 1);
      assert.ok(String(compacted[0]?.payload['message']).includes(CODEX_COMPACTION_SUMMARY));
      assert.equal(lastTaskComplete(r.rollout).error, undefined);
    });

    it('a compaction that overflows too: the resumed turn fails with context_window_exceeded', async () => {
      const r = await run('compaction-failed');
      assert.equal(failedMessage(r.runs[1] as CodexExecResult), CONTEXT_FULL);
      const kinds = r.requests.map((q) => q.answeredWith);
      assert.equal(kinds[0], 'context_overflow');
      assert.ok(
        kinds.length >= 2 && kinds.slice(1).every((k) => k === 'compaction:context_overflow'),
        kinds.join(),
      );
      assert.equal(eventMsgs(r.rollout, 'task_complete').length, 2);
      assert.equal(lastTaskComplete(r.rollout).error?.codex_error_info, 'context_window_exceeded');
    });
  },
);

describe('fake LLM Responses route', () => {
  it('keeps its own queue, records what it got, 404s other paths and resets', async () => {
    const fake = await startFakeLlm();
    try {
      fake.enqueueResponses({ kind: 'quota' });
      const post = (path: string, body: unknown): Promise<Response> =>
        fetch(`${fake.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'thread-id': 't-1' },
          body: JSON.stringify(body),
        });
      const input = [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
      ];
      const quota = await post('/responses', { model: 'fake-model', input });
      assert.equal(quota.status, 429);
      assert.equal(
        z.looseObject({ error: z.looseObject({ code: z.string() }) }).parse(await quota.json())
          .error.code,
        'insufficient_quota',
      );
      const ok = await post('/responses', { model: 'fake-model', input, stream: true });
      assert.equal(ok.status, 200);
      const sse = await ok.text();
      assert.deepEqual(
        [...sse.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]),
        [
          'response.created',
          'response.output_item.added',
          'response.output_text.delta',
          'response.output_item.done',
          'response.completed',
        ],
      );
      assert.ok(sse.includes('Fake answer #2 (you said: hi)'));
      assert.equal((await post('/responses/compact', { model: 'fake-model', input })).status, 404);
      assert.deepEqual(
        fake.requests().map((r) => `${r.path} ${r.answeredWith}`),
        ['/v1/responses quota', '/v1/responses ok', '/v1/responses/compact not_found'],
      );
      assert.equal(fake.responsesRequests('turn')[0]?.threadId, 't-1');
      fake.enqueueResponses({ kind: 'quota' });
      fake.setResponsesDefault({ kind: 'rate_limit' });
      fake.reset();
      assert.deepEqual(fake.responsesRequests(), []);
      assert.equal((await post('/responses', { model: 'fake-model', input })).status, 200);
    } finally {
      await fake.close();
    }
  });
});
