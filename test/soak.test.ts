import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { episodeOf } from './helpers/soak-llm.js';
import { judgeTurns, type Turn } from './helpers/soak-records.js';
import { formatReport } from './helpers/soak-report.js';
import { runSoak } from './helpers/soak-run.js';

const turn = (kind: Turn['kind'], outcome: Turn['outcome']): Turn => ({
  kind,
  outcome,
  id: '',
  at: 0,
});

describe('the soak judges a session from its own record', () => {
  const cases: [string, Turn[], boolean, { duplicates: number[]; unresumed: boolean }][] = [
    [
      'a limit, one resume',
      [turn('task', 'failed'), turn('continue', 'ok')],
      false,
      { duplicates: [], unresumed: false },
    ],
    [
      'a second continue after an answered one',
      [turn('task', 'failed'), turn('continue', 'ok'), turn('continue', 'ok')],
      false,
      { duplicates: [2], unresumed: false },
    ],
    [
      'two limits, two resumes',
      [turn('task', 'failed'), turn('continue', 'failed'), turn('continue', 'ok')],
      false,
      { duplicates: [], unresumed: false },
    ],
    [
      'a continue queued behind one still unanswered (opencode)',
      [turn('task', 'failed'), turn('continue', 'open'), turn('continue', 'ok')],
      false,
      { duplicates: [2], unresumed: false },
    ],
    [
      'a run cut off, resumed as interrupted (Claude Code)',
      [turn('task', 'failed'), turn('continue', 'open'), turn('interrupted', 'ok')],
      true,
      { duplicates: [], unresumed: false },
    ],
    [
      'a stop nobody answered',
      [turn('task', 'ok'), turn('task', 'failed')],
      false,
      { duplicates: [], unresumed: true },
    ],
  ];
  for (const [name, turns, cutIsStop, expected] of cases) {
    it(name, () => {
      const verdict = judgeTurns(turns, cutIsStop);
      assert.deepEqual(verdict.duplicates, expected.duplicates);
      assert.equal(verdict.unresumed, expected.unresumed);
    });
  }

  it('finds the episode and turn of a request from its history', () => {
    const history = ['SOAK-TASK oc1: go.', 'SOAK-CONTINUE: carry on.', 'SOAK-TASK oc7: go.'];
    assert.deepEqual(episodeOf(history), { tag: 'oc7', turn: 0, resumes: 1 });
    // Claude Code merges prompts that no answer separates into one user message.
    const merged = ['SOAK-TASK cc2: go.\nSOAK-CONTINUE: carry on.\nSOAK-INTERRUPTED: go on.'];
    assert.deepEqual(episodeOf(merged), { tag: 'cc2', turn: 2, resumes: 2 });
    assert.equal(episodeOf(['hello']), undefined);
  });
});

/**
 * A short `npm run soak`: the built daemon stopped 12 times (half SIGTERM, half kill -9), aimed
 * at resumes that are pending, being sent, verified or retried, with real opencode and Claude
 * Code sessions meeting limits meanwhile. The full run is `npm run soak` (300 stops).
 */
describe('restart soak (short)', () => {
  it('12 stops: state always parses, every stop resumed exactly once', async (t) => {
    const report = await runSoak({
      stops: 12,
      seed: 20261203,
      concurrent: { opencode: 3, 'claude-code': 1 },
      maxSessions: { opencode: 6, 'claude-code': 2 },
      progress: (line) => {
        t.diagnostic(line);
      },
    });
    const text = formatReport(report);
    for (const line of text.split('\n')) t.diagnostic(line);
    assert.equal(report.stops.SIGTERM + report.stops.SIGKILL, 12);
    assert.ok(report.agentStops > 0, 'no session ever stopped: the soak tested nothing');
    assert.deepEqual(report.violations, [], text);
  });
});
