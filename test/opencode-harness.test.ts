import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { isCompactionRequest, lastMessageText, type ChatRequest } from './fake-llm/script.js';
import { lastAssistant, type MessageWithParts } from './helpers/opencode-client.js';
import { isEvent } from './helpers/opencode-events.js';
import { startHarness, type OpencodeHarness } from './helpers/opencode-harness.js';
import * as scenarios from './helpers/opencode-scenarios.js';
import {
  timeline,
  untilIdle,
  type ScenarioPhase,
  type ScenarioRun,
} from './helpers/opencode-turn.js';

// Real `opencode serve` (the pinned devDependency) against the project's fake LLM on loopback.
// One server for the whole file (its first turn loads plugins for ~3 s); each test has its own
// session and resets the fake. The crash test runs last because it restarts the server.

/** `session.status` while opencode waits to retry; `next` is an epoch-ms instant. */
const retryStatus = z.object({
  type: z.literal('retry'),
  attempt: z.number(),
  message: z.string(),
  next: z.number().min(1e12),
});

function chatBodies(run: ScenarioRun): ChatRequest[] {
  return run.llmRequests.flatMap((r) => (r.body ? [r.body] : []));
}

/** The session's timeline up to its first idle; only repeated idles may follow. */
function lifecycle(turn: ScenarioPhase, sessionID: string): string[] {
  const { head, tail } = untilIdle(timeline(turn.events, sessionID));
  assert.ok(
    tail.every((entry) => entry === 'status:idle' || entry === 'idle'),
    `after idle: ${tail.join(' ')}`,
  );
  return head;
}

function phase(run: ScenarioRun, name: string): ScenarioPhase {
  const found = run.phases.find((p) => p.name === name);
  assert.ok(found, `phase ${name} missing`);
  return found;
}

function last(phaseOf: ScenarioPhase): MessageWithParts {
  const message = lastAssistant(phaseOf.messages ?? []);
  assert.ok(message, 'no assistant message');
  return message;
}

function assistantInfo(message: MessageWithParts) {
  assert.equal(message.info.role, 'assistant');
  return message.info;
}

describe('real opencode driven through the fake LLM', { timeout: 180_000 }, () => {
  let h: OpencodeHarness | undefined;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  /** Runs a scenario and its checks; a failure carries opencode's output and the fake's log. */
  async function check(
    scenario: scenarios.Scenario,
    assertions: (run: ScenarioRun) => void,
  ): Promise<void> {
    if (h === undefined) throw new Error('the harness did not start');
    const harness = h;
    try {
      assertions(await scenario.run(harness));
    } catch (error) {
      throw new Error(`${String(error)}\n${harness.diagnostics()}`, { cause: error });
    }
  }

  it('runs the opencode version pinned in package.json', async () => {
    const pkg = z
      .object({ devDependencies: z.record(z.string(), z.string()) })
      .parse(JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')));
    assert.equal(h?.server.version, pkg.devDependencies['opencode-ai']);
  });

  it('normal turn: the fake gets the prompt, the turn ends with finish "stop" and idle', () =>
    check(scenarios.normalTurn, (run) => {
      const chats = chatBodies(run);
      assert.equal(chats.length, 1, 'a titled session makes exactly one LLM call');
      assert.equal(chats[0]?.stream, true);
      assert.equal(lastMessageText(chats[0]), 'Please say hello.');
      const turn = phase(run, 'turn');
      assert.deepEqual(lifecycle(turn, run.sessionID), ['status:busy', 'status:idle', 'idle']);
      assert.deepEqual(turn.status, {});
      const info = assistantInfo(last(turn));
      assert.equal(info.finish, 'stop');
      assert.equal(typeof info.time.completed, 'number');
      assert.equal(info.error, undefined);
      const text = last(turn).parts.find((p) => p.type === 'text');
      assert.equal(text?.type === 'text' ? text.text : undefined, 'Hello from the fake LLM.');
    }));

  it('429 outlasting opencode retries: retry statuses, then APIError 429 kept on the message', () =>
    check(scenarios.rateLimit, (run) => {
      assert.equal(run.llmRequests.length, scenarios.OPENCODE_ATTEMPTS);
      const turn = phase(run, 'turn');
      const waits = [1, 2, 3, 4, 5].flatMap((n) => [`status:retry#${n}`, 'status:busy']);
      assert.deepEqual(lifecycle(turn, run.sessionID), [
        'status:busy',
        ...waits,
        'error:APIError',
        'status:idle',
        'idle',
      ]);
      const retries = turn.events.flatMap((frame) => {
        const parsed = retryStatus.safeParse(frame.payload.properties?.['status']);
        return parsed.success ? [parsed.data] : [];
      });
      assert.deepEqual(
        retries.map((r) => r.attempt),
        [1, 2, 3, 4, 5],
      );
      assert.ok(retries.every((r) => r.message === 'Rate limit reached for requests'));
      const info = assistantInfo(last(turn));
      assert.equal(info.error?.name, 'APIError');
      assert.equal(info.error.data.statusCode, 429);
      assert.equal(info.error.data.isRetryable, true);
      assert.equal(info.error.data.responseHeaders?.['retry-after-ms'], '100');
      assert.equal(info.finish, undefined, 'opencode 1.18.33 sets no finish on an API error');
    }));

  it('user abort mid-stream: MessageAbortedError', () =>
    check(scenarios.userAbort, (run) => {
      const turn = phase(run, 'turn');
      assert.deepEqual(lifecycle(turn, run.sessionID), [
        'status:busy',
        'error:MessageAbortedError',
        'status:idle',
        'idle',
      ]);
      assert.equal(assistantInfo(last(turn)).error?.name, 'MessageAbortedError');
    }));

  it('context overflow whose compaction overflows too: finish "error", ContextOverflowError', () =>
    check(scenarios.contextOverflowUnrecoverable, (run) => {
      const chats = chatBodies(run);
      assert.deepEqual(chats.map(isCompactionRequest), [false, true]);
      const turn = phase(run, 'turn');
      const overflow = 'error:ContextOverflowError';
      assert.deepEqual(lifecycle(turn, run.sessionID), [
        'status:busy',
        overflow,
        'status:busy',
        overflow,
        'status:idle',
        'idle',
      ]);
      const info = assistantInfo(last(turn));
      assert.equal(info.finish, 'error');
      assert.equal(info.error?.name, 'ContextOverflowError');
      assert.equal(info.mode, 'compaction', 'the last assistant message is the failed summary');
    }));

  it('context overflow then a successful compaction: opencode continues by itself', () =>
    check(scenarios.contextOverflowCompacted, (run) => {
      const chats = chatBodies(run);
      assert.deepEqual(chats.map(isCompactionRequest), [false, true, false]);
      assert.match(lastMessageText(chats[2]) ?? '', /Continue if/);
      const turn = phase(run, 'turn');
      const events = lifecycle(turn, run.sessionID);
      assert.deepEqual(events.slice(0, 2), ['status:busy', 'error:ContextOverflowError']);
      assert.ok(events.includes('compacted'), events.join(' '));
      assert.deepEqual(events.slice(-2), ['status:idle', 'idle']);
      const info = assistantInfo(last(turn));
      assert.equal(info.finish, 'stop');
      assert.equal(info.error, undefined);
    }));

  it('kill -9 mid-turn and restart: no status, an unfinished message; "continue" completes', () =>
    check(scenarios.crashKill9, (run) => {
      const killed = phase(run, 'killed');
      assert.ok(killed.events.some(isEvent('message.part.delta', run.sessionID)));
      assert.ok(!killed.events.some(isEvent('session.idle', run.sessionID)));
      const restarted = phase(run, 'restarted');
      assert.deepEqual(restarted.status, {});
      const stale = assistantInfo(last(restarted));
      assert.equal(stale.time.completed, undefined);
      assert.equal(stale.finish, undefined);
      assert.equal(stale.error, undefined);
      const continued = phase(run, 'continued');
      assert.deepEqual(lifecycle(continued, run.sessionID).slice(-2), ['status:idle', 'idle']);
      assert.equal(assistantInfo(last(continued)).finish, 'stop');
      const chats = chatBodies(run);
      assert.equal(lastMessageText(chats.at(-1)), 'continue');
    }));
});
