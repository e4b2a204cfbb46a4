import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TEXT_CHARS } from './cap-text.js';
import { readRolloutLine } from './rollout-lines.js';
import { foldRollout, newThreadState, threadIdFromRolloutName } from './thread.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 3, 7, 30, s)).toISOString();
let clock = 0;
const line = (type: string, payload: object) =>
  JSON.stringify({ timestamp: at(++clock), type, payload });
const event = (payload: object) => line('event_msg', payload);
const started = (turn: string) => event({ type: 'task_started', turn_id: turn, started_at: 1 });
const complete = (turn: string, extra: object = {}) =>
  event({ type: 'task_complete', turn_id: turn, last_agent_message: null, ...extra });
const userItem = (text: string, author?: string) =>
  line('response_item', {
    type: 'message',
    role: 'user',
    content: [{ type: 'input_text', text }],
    ...(author === undefined
      ? {}
      : {
          internal_chat_message_metadata_passthrough: {
            content_item_metadata: [{ provenance: { type: author } }],
          },
        }),
  });
const assistantItem = (text: string) =>
  line('response_item', {
    type: 'message',
    role: 'assistant',
    content: [{ type: 'output_text', text }],
  });
const meta = (id: string) =>
  line('session_meta', { id, cwd: '/w', originator: 'codex-tui', cli_version: '0.171.0' });

function fold(...texts: string[]) {
  const state = newThreadState('from-file-name');
  for (const text of texts) {
    const read = readRolloutLine(text);
    if (read.kind === 'record') foldRollout(state, read.record);
  }
  return state;
}

describe('a Codex rollout folded into the state of its thread', () => {
  it('nothing read: empty, named by its file', () => {
    const state = fold();
    assert.equal(state.phase, 'empty');
    assert.equal(state.threadId, 'from-file-name');
  });

  it('the first session_meta names the thread; a later one (copied history) does not', () => {
    const state = fold(meta('t1'), meta('t0'));
    assert.equal(state.threadId, 't1');
    assert.equal(state.originator, 'codex-tui');
    assert.equal(state.cliVersion, '0.171.0');
    assert.equal(state.cwd, '/w');
  });

  it('task_started is busy; the prompt after it is the task and the turn’s prompt', () => {
    const state = fold(
      meta('t1'),
      started('u1'),
      userItem('<environment_context>\n  <cwd>/w</cwd>\n</environment_context>', 'harness'),
      userItem('<user_instructions>be brief</user_instructions>'),
      userItem('# AGENTS.md instructions for /w\n\n<INSTRUCTIONS>…'),
      userItem('Build the parser.', 'user'),
    );
    assert.equal(state.phase, 'busy');
    assert.equal(state.turnId, 'u1');
    assert.equal(state.task, 'Build the parser.');
    assert.equal(state.lastPrompt, 'Build the parser.');
    assert.equal(state.phaseAt, Date.parse(at(clock - 4)));
  });

  it('task_complete with a reply completes; a second turn keeps the task, not the prompt', () => {
    const state = fold(
      started('u1'),
      userItem('Build it.'),
      assistantItem('Built.'),
      complete('u1', { last_agent_message: 'Built.' }),
      started('u2'),
      event({ type: 'user_message', message: 'now test it', kind: 'plain' }),
    );
    assert.equal(state.phase, 'busy');
    assert.equal(state.task, 'Build it.');
    assert.equal(state.lastPrompt, 'now test it');
    assert.equal(state.lastAssistantText, 'Built.');
  });

  it('task_complete with an error fails the turn, with Codex’s code and status', () => {
    const state = fold(
      started('u1'),
      complete('u1', {
        error: {
          message: 'exceeded retry limit, last status: 429 Too Many Requests',
          codex_error_info: { response_too_many_failed_attempts: { http_status_code: 429 } },
        },
      }),
    );
    assert.equal(state.phase, 'failed');
    assert.deepEqual(state.failure, {
      message: 'exceeded retry limit, last status: 429 Too Many Requests',
      code: 'response_too_many_failed_attempts',
      httpStatus: 429,
      resetAfterSeconds: undefined,
    });
    const next = fold(started('u1'), complete('u1', { error: { message: 'x' } }), started('u2'));
    assert.equal(next.failure, undefined, 'a new turn forgets the failure');
  });

  it('an error event and no reply (Codex before task_complete carried errors) is the failure', () => {
    const state = fold(
      started('u1'),
      event({ type: 'error', message: 'boom', codex_error_info: 'internal_server_error' }),
      complete('u1'),
    );
    assert.equal(state.phase, 'failed');
    assert.equal(state.failure?.code, 'internal_server_error');
    const replied = fold(
      started('u1'),
      event({ type: 'error', message: 'transient' }),
      complete('u1', { last_agent_message: 'done anyway' }),
    );
    assert.equal(replied.phase, 'completed');
  });

  it('turn_aborted (Esc) is an interruption, whatever came before', () => {
    const state = fold(
      started('u1'),
      userItem('Build it.'),
      userItem('<turn_aborted>\nThe user interrupted the previous turn…\n</turn_aborted>'),
      event({ type: 'turn_aborted', turn_id: 'u1', reason: 'interrupted' }),
    );
    assert.equal(state.phase, 'interrupted');
    assert.equal(state.abortReason, 'interrupted');
    assert.equal(state.lastPrompt, 'Build it.', 'the abort marker is no prompt');
  });

  it('token_count keeps the newest rate limits, in ms, with the turn they belong to', () => {
    const limits = (used: number) => ({
      type: 'token_count',
      info: null,
      rate_limits: {
        primary: { used_percent: used, window_minutes: 300, resets_at: 1796288495 },
        secondary: null,
        plan_type: 'plus',
      },
    });
    const state = fold(
      started('u1'),
      event(limits(40)),
      event({ type: 'token_count', info: { model_context_window: 1 }, rate_limits: null }),
      event(limits(100)),
    );
    assert.deepEqual(state.rateLimits, {
      primary: { usedPercent: 100, windowMinutes: 300, resetAt: 1796288495_000 },
      secondary: undefined,
      planType: 'plus',
      turnId: 'u1',
    });
  });

  it('resets_in_seconds (older Codex) is counted from the line’s timestamp', () => {
    const state = fold(
      started('u1'),
      event({
        type: 'token_count',
        rate_limits: { primary: { used_percent: 100, resets_in_seconds: 60 } },
      }),
    );
    assert.equal(state.rateLimits?.primary?.resetAt, Date.parse(at(clock)) + 60_000);
  });

  it('a stream_error "Reconnecting... n/5" in a running turn is a retry, until output or the end', () => {
    const retry = event({ type: 'stream_error', message: 'Reconnecting... 2/5' });
    const state = fold(started('u1'), retry);
    assert.deepEqual(state.retrying, { attempt: 2, of: 5, message: 'Reconnecting... 2/5' });
    assert.equal(fold(started('u1'), retry, assistantItem('ok')).retrying, undefined);
    assert.equal(fold(started('u1'), retry, complete('u1')).retrying, undefined);
    assert.equal(fold(retry).retrying, undefined, 'no turn, no retry');
  });

  it('the last update_plan is the todo list; garbled arguments change nothing', () => {
    const plan = (args: string) =>
      line('response_item', { type: 'function_call', name: 'update_plan', arguments: args });
    const state = fold(
      started('u1'),
      plan(
        JSON.stringify({
          plan: [
            { step: 'parse', status: 'completed' },
            { step: 'test', status: 'in_progress' },
          ],
        }),
      ),
      plan('{"plan": [{"step": "cut off'),
    );
    assert.deepEqual(state.todos, [
      { content: 'parse', status: 'completed' },
      { content: 'test', status: 'in_progress' },
    ]);
  });

  it('0.171’s item_completed UserMessage / AgentMessage are a prompt and a reply', () => {
    const state = fold(
      started('u1'),
      event({
        type: 'item_completed',
        item: { type: 'UserMessage', content: [{ type: 'text', text: 'say hello' }] },
      }),
      event({
        type: 'item_completed',
        item: { type: 'AgentMessage', content: [{ type: 'Text', text: 'hello' }] },
      }),
    );
    assert.equal(state.task, 'say hello');
    assert.equal(state.lastAssistantText, 'hello');
  });

  it('texts are capped, so a thread’s state stays small', () => {
    const long = 'x'.repeat(MAX_TEXT_CHARS * 3);
    const state = fold(started('u1'), userItem(long), assistantItem(long));
    assert.equal(state.task?.length, MAX_TEXT_CHARS);
    assert.ok(state.task.endsWith('…'));
    assert.equal(state.lastAssistantText?.length, MAX_TEXT_CHARS);
  });

  it('turn_context and compacted lines: the newest cwd, when Codex last compacted', () => {
    const state = fold(meta('t1'), line('turn_context', { cwd: '/w/sub' }), line('compacted', {}));
    assert.equal(state.cwd, '/w/sub');
    assert.equal(state.compactedAt, Date.parse(at(clock)));
  });
});

describe('threadIdFromRolloutName', () => {
  const id = '01a23ad0-7640-7410-96f1-c16bb9ffd189';
  it('reads the thread uuid from the file name or a path ending in it', () => {
    assert.equal(threadIdFromRolloutName(`rollout-2026-12-03T07-31-10-${id}.jsonl`), id);
    assert.equal(
      threadIdFromRolloutName(
        `/h/.codex/sessions/2026/12/03/rollout-2026-12-03T07-31-10-${id}.jsonl`,
      ),
      id,
    );
  });
  it('anything else names no thread', () => {
    for (const name of [
      `${id}.jsonl`,
      `rollout-${id}.json`,
      'rollout-x.jsonl',
      `x-rollout-${id}.jsonl`,
    ]) {
      assert.equal(threadIdFromRolloutName(name), undefined, name);
    }
  });
});
