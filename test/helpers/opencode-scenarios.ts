import type { FakeResponse } from '../fake-llm/script.js';
import type { OpencodeHarness } from './opencode-harness.js';
import {
  beginTurn,
  endTurn,
  waitStreaming,
  type ScenarioPhase,
  type ScenarioRun,
} from './opencode-turn.js';

/**
 * How each kind of stop is produced with real opencode against the fake. Shared by the harness
 * test (which asserts on the runs) and test/fixtures/opencode/record.ts (which stores them).
 */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  run(h: OpencodeHarness): Promise<ScenarioRun>;
}

/** opencode 1.18.33 makes 1 attempt + 5 retries before giving up on a retryable error. */
export const OPENCODE_ATTEMPTS = 6;

const rateLimited: FakeResponse = {
  kind: 'status',
  status: 429,
  // retry-after-ms wins over retry-after in opencode, so each wait is 100 ms, not 1 s.
  headers: { 'retry-after-ms': '100', 'retry-after': '1', 'x-ratelimit-remaining-requests': '0' },
  body: {
    error: {
      message: 'Rate limit reached for requests',
      type: 'requests',
      code: 'rate_limit_exceeded',
    },
  },
};

/** Long enough (40 × 250 ms) that the test always aborts or kills mid-stream. */
const slowAnswer: FakeResponse = {
  kind: 'slow',
  text: 'This answer streams slowly so that the turn can be interrupted half way.',
  delayMs: 250,
  chunks: 40,
};

/** One session, one prompt, one phase: the common shape of most scenarios. */
function singleTurn(
  name: string,
  description: string,
  script: readonly FakeResponse[],
  interrupt?: (h: OpencodeHarness, sessionID: string, mark: number) => Promise<void>,
): Scenario {
  return {
    name,
    description,
    async run(h) {
      h.fake.reset();
      h.fake.enqueue(...script);
      const session = await h.client.createSession(name);
      const mark = await beginTurn(h, session.id, 'Please say hello.');
      await interrupt?.(h, session.id, mark);
      const phase = await endTurn(h, session.id, mark, 'turn');
      return {
        scenario: name,
        description,
        sessionID: session.id,
        phases: [phase],
        llmRequests: h.fake.requests(),
      };
    },
  };
}

export const normalTurn = singleTurn('normal-turn', 'A prompt answered normally.', [
  { kind: 'ok', text: 'Hello from the fake LLM.' },
]);

export const rateLimit = singleTurn(
  'rate-limit',
  'Every attempt gets 429 with retry-after-ms: 100; opencode retries 5 times, then gives up.',
  Array.from({ length: OPENCODE_ATTEMPTS }, () => rateLimited),
);

export const userAbort = singleTurn(
  'user-abort',
  'POST /session/{id}/abort while the answer is streaming.',
  [slowAnswer],
  async (h, sessionID, mark) => {
    await waitStreaming(h, sessionID, mark);
    await h.client.abort(sessionID);
  },
);

export const contextOverflowUnrecoverable = singleTurn(
  'context-overflow-unrecoverable',
  'The turn and the automatic compaction request both get context_length_exceeded.',
  [{ kind: 'context_overflow' }, { kind: 'context_overflow' }],
);

export const contextOverflowCompacted = singleTurn(
  'context-overflow-compacted',
  'The turn overflows; the automatic compaction succeeds and opencode continues by itself.',
  [
    { kind: 'context_overflow' },
    { kind: 'ok', text: '## Objective\n- Say hello.' },
    { kind: 'ok', text: 'Hello again, after compaction.' },
  ],
);

export const crashKill9: Scenario = {
  name: 'crash-kill9',
  description:
    'kill -9 of opencode serve mid-stream, restart on the same HOME and port, then "continue".',
  async run(h) {
    h.fake.reset();
    h.fake.enqueue(slowAnswer, { kind: 'ok', text: 'Continuing where I left off.' });
    const session = await h.client.createSession('crash-kill9');
    const mark = await beginTurn(h, session.id, 'Please say hello.');
    await waitStreaming(h, session.id, mark);
    const before = await h.crashAndRestart();
    const killed: ScenarioPhase = { name: 'killed', events: before.slice(mark) };
    const restarted: ScenarioPhase = {
      name: 'restarted',
      events: h.events.frames(),
      status: await h.client.status(),
      messages: await h.client.messages(session.id),
    };
    const again = await beginTurn(h, session.id, 'continue');
    const continued = await endTurn(h, session.id, again, 'continued');
    return {
      scenario: crashKill9.name,
      description: crashKill9.description,
      sessionID: session.id,
      phases: [killed, restarted, continued],
      llmRequests: h.fake.requests(),
    };
  },
};

/** In the order the recorder runs them (the crash last, as it restarts the server). */
export const SCENARIOS: readonly Scenario[] = [
  normalTurn,
  rateLimit,
  userAbort,
  contextOverflowUnrecoverable,
  contextOverflowCompacted,
  crashKill9,
];
