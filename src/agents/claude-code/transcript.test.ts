import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyTranscriptLine, newTranscriptState } from './transcript.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 27, 12, 0, s)).toISOString();
const user = (uuid: string, content: unknown, extra: object = {}) => ({
  type: 'user',
  uuid,
  sessionId: 's1',
  cwd: '/work/p',
  timestamp: at(1),
  message: { role: 'user', content },
  ...extra,
});
const assistant = (uuid: string, content: unknown[], stop_reason: string | null) => ({
  type: 'assistant',
  uuid,
  sessionId: 's1',
  cwd: '/work/p',
  timestamp: at(2),
  message: { role: 'assistant', content, stop_reason },
});
const synthetic = {
  type: 'assistant',
  uuid: 'e1',
  timestamp: at(3),
  isApiErrorMessage: true,
  error: 'rate_limit',
  apiErrorStatus: 429,
  apiError: 'usage_limit_reached',
  apiErrorParams: { rate_limit_info: { status: 'rejected', resetsAt: 1_800_000_000 } },
  message: {
    model: '<synthetic>',
    role: 'assistant',
    content: [{ type: 'text', text: "You've hit your limit · resets 4am" }],
  },
};

function fold(...lines: unknown[]) {
  const state = newTranscriptState('s1');
  for (const line of lines) applyTranscriptLine(state, line);
  return state;
}

describe('a Claude Code transcript folded into the state of its turn', () => {
  it('a prompt waiting for the model is busy, and its text is the task', () => {
    const state = fold(user('u1', 'Build the parser.'));
    assert.equal(state.phase, 'busy');
    assert.equal(state.task, 'Build the parser.');
    assert.equal(state.cwd, '/work/p');
    assert.equal(state.lastUuid, 'u1');
  });

  it('an assistant line with stop_reason end_turn completes the turn', () => {
    const state = fold(
      user('u1', 'Build the parser.'),
      assistant('a1', [{ type: 'text', text: 'Done.' }], 'end_turn'),
    );
    assert.equal(state.phase, 'completed');
    assert.equal(state.lastAssistantText, 'Done.');
  });

  it('a tool call keeps the turn busy, and tool results are not the task', () => {
    const state = fold(
      user('u1', 'Build it.'),
      assistant('a1', [{ type: 'tool_use', id: 't', name: 'Bash', input: {} }], 'tool_use'),
      user('u2', [{ type: 'tool_result', tool_use_id: 't', content: 'ok' }]),
    );
    assert.equal(state.phase, 'busy');
    assert.equal(state.task, 'Build it.');
  });

  it('the synthetic API-error line stops the turn, with Claude Code’s own code and resetsAt', () => {
    const state = fold(user('u1', 'Build it.'), synthetic);
    assert.equal(state.phase, 'stopped');
    assert.equal(state.stop?.reason, 'rate_limit');
    assert.equal(state.stop.code, 'rate_limit');
    assert.equal(state.stop.resetsAtSeconds, 1_800_000_000);
    assert.equal(state.lastUuid, 'e1');
    assert.equal(state.phaseAt, Date.parse(at(3)));
  });

  it('a new prompt after a stop is busy again and forgets the stop', () => {
    const state = fold(user('u1', 'Build it.'), synthetic, user('u3', 'continue'));
    assert.equal(state.phase, 'busy');
    assert.equal(state.stop, undefined);
    assert.equal(state.task, 'Build it.');
  });

  it('"[Request interrupted by user]" is an interruption, never a stop to resume', () => {
    const state = fold(
      user('u1', 'Build it.'),
      user('u2', [{ type: 'text', text: '[Request interrupted by user]' }]),
    );
    assert.equal(state.phase, 'interrupted');
  });

  it('the last TodoWrite is the todo list; sidechain and meta lines do not end the turn', () => {
    const todos = [
      { content: 'parse', status: 'completed', activeForm: 'Parsing' },
      { content: 'test', status: 'pending', activeForm: 'Testing' },
    ];
    const state = fold(
      user('u1', 'Build it.'),
      assistant('a1', [{ type: 'tool_use', id: 't', name: 'TodoWrite', input: { todos } }], null),
      { ...assistant('x', [{ type: 'text', text: 'sub' }], 'end_turn'), isSidechain: true },
      user('m', 'Caveat: meta', { isMeta: true }),
    );
    assert.equal(state.phase, 'busy');
    assert.deepEqual(state.todos, [
      { content: 'parse', status: 'completed' },
      { content: 'test', status: 'pending' },
    ]);
  });

  it('the session the lines name is the newest line’s sessionId; lines naming none keep it', () => {
    assert.equal(fold().lineSessionId, undefined);
    assert.equal(fold(user('u1', 'x'), synthetic).lineSessionId, 's1');
    const forked = fold(user('u1', 'x'), user('u2', 'y', { sessionId: 's2' }), synthetic);
    assert.equal(forked.lineSessionId, 's2');
  });

  it('unknown line types and non-lines change nothing but the position', () => {
    const state = fold(
      user('u1', 'x'),
      { type: 'summary', summary: 'S', leafUuid: 'u1' },
      42,
      null,
    );
    assert.equal(state.phase, 'busy');
  });
});
