import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_STATE, jobKey, type PersistedState, type ResumeJob } from './jobs.js';
import { reduce, type Facts, type Input, type Outcome } from './resume-reducer.js';
import type { StopReason } from './stop-reason.js';

const T = Date.parse('2026-12-03T10:00:00Z');
const REF = { agent: 'opencode', sessionId: 's1', directory: '/p' } as const;
const KEY = jobKey(REF);

const facts = (over: Partial<Facts> = {}): Facts => ({
  now: T,
  policy: { marginMs: 0, backoffBaseMs: 10_000, backoffMaxMs: 600_000, maxRetries: 3 },
  jitter: 0.5,
  running: new Set(),
  daemonPaused: false,
  agentEnabled: () => true,
  compactsOnResume: () => undefined,
  ...over,
});

const limit: StopReason = {
  reason: 'rate_limit',
  detail: '429',
  resetAt: T + 60_000,
  evidence: { agent: 'opencode' },
};
const stopped = (messageId = 'm1', stop: StopReason = limit): Input => ({
  kind: 'stopped',
  ref: REF,
  stop,
  at: T,
  stoppedAt: T - 1000,
  messageId,
  evidence: stop.evidence,
});

const job = (over: Partial<ResumeJob> = {}): ResumeJob => ({
  agent: 'opencode',
  sessionId: 's1',
  directory: '/p',
  reason: 'rate_limit',
  action: 'resume_same',
  dueAt: T + 60_000,
  attempt: 1,
  createdAt: T,
  stoppedAt: T - 1000,
  why: 'x',
  ...over,
});
const withJob = (j: ResumeJob = job(), attempts = 0): PersistedState => ({
  ...EMPTY_STATE,
  jobs: [j],
  sessions: [{ agent: 'opencode', sessionId: 's1', directory: '/p', attempts }],
});
const handled: PersistedState = {
  ...EMPTY_STATE,
  sessions: [{ agent: 'opencode', sessionId: 's1', attempts: 0, handledMessageId: 'm1' }],
};

interface Case {
  readonly name: string;
  readonly state: PersistedState;
  readonly input: Input;
  readonly facts?: Partial<Facts>;
  /** The session's job afterwards: [action, attempt], or undefined for none. */
  readonly job: readonly [ResumeJob['action'], number] | undefined;
  readonly events: readonly string[];
  readonly refused?: string;
}

const ran = (at = T + 60_500): Outcome => ({
  kind: 'saved',
  at,
  startedAt: T + 60_000,
  savedSeconds: 360,
});

const CASES: readonly Case[] = [
  {
    name: 'a stop with a reset: one job at the reset, announced after it is saved',
    state: EMPTY_STATE,
    input: stopped(),
    job: ['resume_same', 1],
    events: ['session.stopped', 'decision.made', 'resume.scheduled'],
  },
  {
    name: 'the same stop again (a resync): nothing',
    state: handled,
    input: stopped('m1'),
    job: undefined,
    events: [],
  },
  {
    name: 'another stop while a job is pending: nothing',
    state: withJob(),
    input: stopped('m2'),
    job: ['resume_same', 1],
    events: [],
  },
  {
    name: 'another stop while the job runs: nothing',
    state: EMPTY_STATE,
    input: stopped('m2'),
    facts: { running: new Set([KEY]) },
    job: undefined,
    events: [],
  },
  {
    name: 'a user abort: decided, no job',
    state: EMPTY_STATE,
    input: stopped('m1', { reason: 'user_exit', detail: 'abort', evidence: { agent: 'opencode' } }),
    job: undefined,
    events: ['session.stopped', 'decision.made'],
  },
  {
    name: 'busy before the job fired: the job is dropped',
    state: withJob(),
    input: { kind: 'busy', ref: REF, at: T + 5 },
    job: undefined,
    events: ['resume.dropped'],
  },
  {
    name: 'busy while the job runs: the job stays (it is the verification)',
    state: withJob(),
    input: { kind: 'busy', ref: REF, at: T + 5 },
    facts: { running: new Set([KEY]) },
    job: ['resume_same', 1],
    events: [],
  },
  {
    name: 'sent: the job records when, and the start is announced',
    state: withJob(),
    input: { kind: 'sent', job: job(), at: T + 60_000, send: true },
    job: ['resume_same', 1],
    events: ['resume.started'],
  },
  {
    name: 'a verified resume: the job goes, a save is counted',
    state: withJob(),
    input: { kind: 'outcome', job: job(), outcome: ran() },
    job: undefined,
    events: ['session.resumed'],
  },
  {
    name: 'a failed attempt: replaced by attempt 2 in the same step',
    state: withJob(),
    input: {
      kind: 'outcome',
      job: job(),
      outcome: { kind: 'failed', at: T + 65_000, type: 'not_verified', message: 'm' },
    },
    job: ['resume_same', 2],
    events: ['resume.failed', 'decision.made', 'resume.scheduled'],
  },
  {
    name: 'the last allowed attempt failed: given up, the job goes',
    state: withJob(job({ attempt: 3 }), 2),
    input: {
      kind: 'outcome',
      job: job({ attempt: 3 }),
      outcome: { kind: 'failed', at: T, type: 'request_failed', message: 'm' },
    },
    job: undefined,
    events: ['resume.failed', 'decision.made', 'resume.gave_up'],
  },
  {
    name: 'a failed new session is retried as a new session',
    state: withJob(job({ action: 'new_session', reason: 'context_exhausted' })),
    input: {
      kind: 'outcome',
      job: job({ action: 'new_session', reason: 'context_exhausted' }),
      outcome: { kind: 'failed', at: T, type: 'request_failed', message: 'm' },
    },
    job: ['new_session', 2],
    events: ['resume.failed', 'decision.made', 'resume.scheduled'],
  },
  {
    name: 'needs a person: the job goes, nothing is retried',
    state: withJob(),
    input: { kind: 'outcome', job: job(), outcome: { kind: 'needs_user', at: T, why: 'tmux' } },
    job: undefined,
    events: ['resume.needs_user'],
  },
  {
    name: 'aborted (the daemon stopped): nothing changes',
    state: withJob(job({ sentAt: T })),
    input: { kind: 'outcome', job: job({ sentAt: T }), outcome: { kind: 'aborted' } },
    job: ['resume_same', 1],
    events: [],
  },
  {
    name: 'wake while running: refused',
    state: withJob(),
    input: { kind: 'command', ref: REF, command: 'wake', at: T },
    facts: { running: new Set([KEY]) },
    job: ['resume_same', 1],
    events: [],
    refused: 'session s1 is being resumed right now',
  },
  {
    name: 'wake while the daemon is paused: refused',
    state: withJob(),
    input: { kind: 'command', ref: REF, command: 'wake', at: T },
    facts: { daemonPaused: true },
    job: ['resume_same', 1],
    events: [],
    refused: 'the daemon is paused; resume it first',
  },
  {
    name: 'cancel: the job goes',
    state: withJob(),
    input: { kind: 'command', ref: REF, command: 'cancel', at: T },
    job: undefined,
    events: ['session.control'],
  },
  {
    name: 'new session for an agent not enabled: refused',
    state: withJob(),
    input: { kind: 'command', ref: REF, command: 'new_session', at: T },
    facts: { agentEnabled: () => false },
    job: ['resume_same', 1],
    events: [],
    refused: 'the opencode agent is not enabled in this daemon',
  },
  {
    name: 'new session: replaces the pending job, due now',
    state: withJob(),
    input: { kind: 'command', ref: REF, command: 'new_session', at: T },
    job: ['new_session', 1],
    events: ['session.control'],
  },
];

describe('reduce: every input, table-tested', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const step = reduce(c.state, c.input, facts(c.facts));
      const found = step.state.jobs.find((j) => jobKey(j) === KEY);
      assert.deepEqual(found === undefined ? undefined : [found.action, found.attempt], c.job);
      assert.deepEqual(
        step.events.map((e) => e.type),
        c.events,
      );
      assert.equal(step.refused?.message, c.refused);
      if (c.refused !== undefined) assert.equal(step.state, c.state, 'a refusal changes nothing');
    });
  }

  it('never holds two jobs for one session, whatever the order of inputs', () => {
    const inputs: Input[] = [
      stopped('m1'),
      stopped('m2'),
      { kind: 'command', ref: REF, command: 'new_session', at: T },
      {
        kind: 'outcome',
        job: job(),
        outcome: { kind: 'failed', at: T, type: 'internal', message: '' },
      },
      stopped('m3'),
    ];
    let state = EMPTY_STATE;
    for (const input of inputs) {
      state = reduce(state, input, facts()).state;
      assert.ok(state.jobs.filter((j) => jobKey(j) === KEY).length <= 1);
    }
  });

  it('the new session a job started is kept in the job, so it is never started twice', () => {
    const j = job({ action: 'new_session', sentAt: T });
    const step = reduce(
      withJob(j),
      { kind: 'session_started', job: j, newSessionId: 's2', at: T + 1 },
      facts(),
    );
    const [kept] = step.state.jobs;
    assert.equal(kept?.startedSessionId, 's2');
    assert.equal(kept.sentAt, T, 'the job’s own steps are kept');
    assert.deepEqual(
      step.events.map((e) => e.type),
      ['session.started'],
    );
  });

  it('a verified resume resets the attempts and counts the time saved', () => {
    const step = reduce(
      withJob(job({ attempt: 2 }), 1),
      { kind: 'outcome', job: job({ attempt: 2 }), outcome: ran() },
      facts(),
    );
    assert.equal(step.state.sessions[0]?.attempts, 0);
    assert.deepEqual(step.state.totals, { saves: 1, timeSavedSeconds: 360 });
    const resumed = step.events[0];
    assert.ok(resumed?.type === 'session.resumed');
    assert.equal(resumed.waitedMs, 61_000);
    assert.equal(resumed.durationMs, 500);
  });
});
