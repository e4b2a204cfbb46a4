import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode, type HrTime } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import type { DaemonEvent } from '../core/events.js';
import { createStopTraces } from './stop-traces.js';

const T0 = Date.parse('2026-11-27T22:00:00Z');
const s1 = { agent: 'opencode', sessionId: 'ses_1' } as const;

function setup(options: { maxOpen?: number; now?: number } = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const traces = createStopTraces({
    tracer: provider.getTracer('test'),
    now: () => options.now ?? T0 + 999_000,
    maxOpen: options.maxOpen,
  });
  const feed = (...events: DaemonEvent[]): void => {
    for (const event of events) traces.record(event);
  };
  return { traces, feed, spans: () => exporter.getFinishedSpans() };
}

const ms = (t: HrTime): number => t[0] * 1000 + t[1] / 1e6;
const at = (offsetMs: number): number => T0 + offsetMs;

function byName(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((s) => s.name === name);
}

function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = byName(spans, name);
  assert.equal(found.length, 1, `${name}: ${found.length} spans`);
  const [span] = found;
  assert.ok(span);
  return span;
}

function timing(span: ReadableSpan): [number, number] {
  return [ms(span.startTime) - T0, ms(span.endTime) - T0];
}

const stopped = (offset: number, extra: Partial<DaemonEvent> = {}): DaemonEvent =>
  ({
    type: 'session.stopped',
    ...s1,
    at: at(offset),
    reason: 'rate_limit',
    detail: '429 Too Many Requests',
    resetAt: at(60_000),
    resetSource: 'retry-after',
    detectionLatencyMs: 40,
    ...extra,
  }) as DaemonEvent;

const decided = (offset: number, attempt: number): DaemonEvent => ({
  type: 'decision.made',
  ...s1,
  at: at(offset),
  reason: 'rate_limit',
  action: 'resume_same',
  why: 'reset at header time',
  dueAt: at(offset + 60_000),
  attempt,
});

const scheduled = (offset: number, attempt: number): DaemonEvent => ({
  type: 'resume.scheduled',
  ...s1,
  at: at(offset),
  action: 'resume_same',
  reason: 'rate_limit',
  dueAt: at(offset + 60_000),
  attempt,
  why: 'reset at header time',
});

const started = (offset: number, attempt: number): DaemonEvent => ({
  type: 'resume.started',
  ...s1,
  at: at(offset),
  action: 'resume_same',
  reason: 'rate_limit',
  attempt,
});

describe('stop traces', () => {
  it('a stop that is resumed: one trace, root from the agent’s record to the outcome', () => {
    const { traces, feed, spans } = setup();
    feed(stopped(0), decided(5, 1), scheduled(5, 1), started(60_005, 1), {
      type: 'session.resumed',
      ...s1,
      at: at(61_000),
      action: 'resume_same',
      attempt: 1,
      waitedMs: 60_045,
      durationMs: 995,
      savedSeconds: 360,
    });
    const all = spans();
    assert.deepEqual(all.map((s) => s.name).sort(), [
      'decide',
      'detect',
      'palingenesis.stop',
      'resume',
      'wait',
    ]);
    const root = only(all, 'palingenesis.stop');
    assert.equal(root.parentSpanContext, undefined);
    for (const child of all.filter((s) => s !== root)) {
      assert.equal(child.spanContext().traceId, root.spanContext().traceId, child.name);
      assert.equal(child.parentSpanContext?.spanId, root.spanContext().spanId, child.name);
    }
    assert.deepEqual(timing(root), [-40, 61_000]);
    assert.deepEqual(timing(only(all, 'detect')), [-40, 0]);
    assert.deepEqual(timing(only(all, 'decide')), [0, 5]);
    assert.deepEqual(timing(only(all, 'wait')), [5, 60_005]);
    assert.deepEqual(timing(only(all, 'resume')), [60_005, 61_000]);

    assert.deepEqual(root.attributes, {
      'palingenesis.agent': 'opencode',
      'palingenesis.reason': 'rate_limit',
      'palingenesis.session_id': 'ses_1',
      'palingenesis.detail': '429 Too Many Requests',
      'palingenesis.reset_at': '2026-11-27T22:01:00.000Z',
      'palingenesis.reset_source': 'retry-after',
      'palingenesis.action': 'resume_same',
      'palingenesis.saved_seconds': 360,
      'palingenesis.attempts': 1,
      'palingenesis.outcome': 'resumed',
    });
    assert.equal(root.status.code, SpanStatusCode.OK);
    assert.equal(only(all, 'detect').attributes['palingenesis.detection_latency_ms'], 40);
    assert.deepEqual(only(all, 'decide').attributes, {
      'palingenesis.agent': 'opencode',
      'palingenesis.reason': 'rate_limit',
      'palingenesis.action': 'resume_same',
      'palingenesis.why': 'reset at header time',
      'palingenesis.due_at': '2026-11-27T22:01:00.005Z',
      'palingenesis.attempt': 1,
    });
    assert.equal(only(all, 'wait').attributes['palingenesis.due_at'], '2026-11-27T22:01:00.005Z');
    assert.equal(only(all, 'resume').status.code, SpanStatusCode.OK);
    assert.equal(traces.openCount(), 0);
  });

  it('a failed attempt is an error span; the retry adds decide, wait and resume; give-up ends it', () => {
    const { feed, spans, traces } = setup();
    feed(stopped(0), decided(5, 1), scheduled(5, 1), started(60_000, 1), {
      type: 'resume.failed',
      ...s1,
      at: at(80_000),
      attempt: 1,
      errorType: 'not_verified',
      message: 'session did not become busy within 20s',
    });
    assert.equal(traces.openCount(), 1, 'a failure does not end the stop');
    feed(decided(80_010, 2), scheduled(80_010, 2), started(140_010, 2), {
      type: 'resume.failed',
      ...s1,
      at: at(141_000),
      attempt: 2,
      errorType: 'agent_unreachable',
      message: 'connection refused',
    });
    feed(
      {
        type: 'decision.made',
        ...s1,
        at: at(141_001),
        reason: 'rate_limit',
        action: 'give_up',
        why: 'max_retries (2) reached',
      },
      {
        type: 'resume.gave_up',
        ...s1,
        at: at(141_001),
        reason: 'rate_limit',
        why: 'max_retries (2) reached',
      },
    );
    const all = spans();
    const resumes = byName(all, 'resume');
    assert.deepEqual(
      resumes.map((r) => [r.attributes['palingenesis.attempt'], r.attributes['error.type']]),
      [
        [1, 'not_verified'],
        [2, 'agent_unreachable'],
      ],
    );
    for (const r of resumes) assert.equal(r.status.code, SpanStatusCode.ERROR);
    assert.equal(resumes[0]?.status.message, 'session did not become busy within 20s');
    assert.deepEqual(byName(all, 'wait').map(timing), [
      [5, 60_000],
      [80_010, 140_010],
    ]);
    // A retry's decision runs from the failure it answers.
    assert.deepEqual(byName(all, 'decide').map(timing), [
      [0, 5],
      [80_000, 80_010],
      [141_000, 141_001],
    ]);
    const root = only(all, 'palingenesis.stop');
    assert.equal(root.attributes['palingenesis.outcome'], 'gave_up');
    assert.deepEqual(root.status, {
      code: SpanStatusCode.ERROR,
      message: 'max_retries (2) reached',
    });
    assert.deepEqual(timing(root), [-40, 141_001]);
    assert.equal(new Set(all.map((s) => s.spanContext().traceId)).size, 1);
    assert.equal(traces.openCount(), 0);
  });

  it('"do nothing" ends the trace at the decision, with status unset', () => {
    const { feed, spans, traces } = setup();
    feed(stopped(0, { reason: 'completed', detail: 'finished', resetAt: undefined }), {
      type: 'decision.made',
      ...s1,
      at: at(2),
      reason: 'completed',
      action: 'none',
      why: 'the turn completed',
    });
    const root = only(spans(), 'palingenesis.stop');
    assert.equal(root.attributes['palingenesis.outcome'], 'none');
    assert.equal(root.attributes['palingenesis.reason'], 'completed');
    assert.equal(root.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(timing(root), [-40, 2]);
    assert.equal(traces.openCount(), 0);
  });

  it('cancel, needs-user and a new stop each end the open trace with their outcome', () => {
    const { feed, spans } = setup();
    const s2 = { agent: 'claude-code', sessionId: 'ses_2' } as const;
    const s3 = { agent: 'opencode', sessionId: 'ses_3' } as const;
    feed(stopped(0), decided(1, 1), scheduled(1, 1));
    feed({ type: 'session.control', ...s1, at: at(500), command: 'pause' });
    feed({ type: 'session.control', ...s1, at: at(900), command: 'cancel' });
    feed({ ...stopped(0), ...s2 }, { ...started(100, 1), ...s2 });
    feed({ type: 'resume.needs_user', ...s2, at: at(150), reason: 'rate_limit', why: 'pane busy' });
    feed({ ...stopped(0), ...s3 }, { ...stopped(2000), ...s3 });
    const roots = byName(spans(), 'palingenesis.stop');
    const outcome = (id: string) =>
      roots
        .filter((r) => r.attributes['palingenesis.session_id'] === id)
        .map((r) => r.attributes['palingenesis.outcome']);
    assert.deepEqual(outcome('ses_1'), ['cancelled']);
    assert.deepEqual(outcome('ses_2'), ['needs_user']);
    assert.deepEqual(outcome('ses_3'), ['superseded']);
    const cancelled = roots.find((r) => r.attributes['palingenesis.session_id'] === 'ses_1');
    assert.deepEqual(
      cancelled?.events.map((e) => [e.name, e.attributes?.['palingenesis.command']]),
      [['session.control', 'pause']],
    );
    const wait = only(spans(), 'wait');
    assert.deepEqual(timing(wait), [1, 900]);
    assert.equal(wait.attributes['palingenesis.outcome'], 'cancelled');
  });

  it('a resume dropped because the session went back to work ends the trace as superseded', () => {
    const { feed, spans } = setup();
    const s4 = { agent: 'opencode', sessionId: 'ses_4' } as const;
    feed({ ...stopped(0), ...s4 }, { ...decided(1, 1), ...s4 }, { ...scheduled(1, 1), ...s4 });
    feed({ type: 'resume.dropped', ...s4, at: at(700), reason: 'rate_limit', why: 'busy again' });
    const root = only(spans(), 'palingenesis.stop');
    assert.equal(root.attributes['palingenesis.outcome'], 'superseded');
    assert.equal(root.attributes['palingenesis.why'], 'busy again');
    const wait = only(spans(), 'wait');
    assert.equal(wait.attributes['palingenesis.outcome'], 'superseded');
    assert.equal(wait.parentSpanContext?.spanId, root.spanContext().spanId);
  });
  it('a resume with no stop seen (a job restored after a restart) starts a partial trace', () => {
    const { feed, spans } = setup();
    feed(started(10, 3), {
      type: 'session.resumed',
      ...s1,
      at: at(20),
      action: 'resume_same',
      attempt: 3,
      waitedMs: 1,
      durationMs: 10,
      savedSeconds: 300,
    });
    const root = only(spans(), 'palingenesis.stop');
    assert.equal(root.attributes['palingenesis.partial'], true);
    assert.equal(root.attributes['palingenesis.reason'], 'rate_limit');
    assert.equal(only(spans(), 'resume').parentSpanContext?.spanId, root.spanContext().spanId);
  });

  it('at most maxOpen stops are traced at once: the oldest is evicted', () => {
    const { feed, spans, traces } = setup({ maxOpen: 2 });
    for (const id of ['a', 'b', 'c']) feed({ ...stopped(0), sessionId: id } as DaemonEvent);
    assert.equal(traces.openCount(), 2);
    const roots = byName(spans(), 'palingenesis.stop');
    assert.deepEqual(
      roots.map((r) => [
        r.attributes['palingenesis.session_id'],
        r.attributes['palingenesis.outcome'],
      ]),
      [['a', 'evicted']],
    );
  });

  it('close() ends every open span at now, as daemon_stopped, and ignores later events', () => {
    const { feed, spans, traces } = setup({ now: at(30_000) });
    feed(stopped(0), decided(5, 1), scheduled(5, 1));
    assert.equal(byName(spans(), 'wait').length, 0, 'the wait is still open');
    traces.close();
    traces.close();
    feed(started(60_000, 1));
    const root = only(spans(), 'palingenesis.stop');
    const wait = only(spans(), 'wait');
    assert.deepEqual(timing(root), [-40, 30_000]);
    assert.deepEqual(timing(wait), [5, 30_000]);
    assert.equal(root.attributes['palingenesis.outcome'], 'daemon_stopped');
    assert.equal(wait.attributes['palingenesis.outcome'], 'daemon_stopped');
    assert.equal(root.status.code, SpanStatusCode.UNSET, 'nothing failed: the job is kept');
    assert.equal(byName(spans(), 'resume').length, 0);
    assert.equal(traces.openCount(), 0);
  });

  it('an end earlier than its start (clocks disagree) is clamped to a zero-length span', () => {
    const { feed, spans } = setup();
    feed(stopped(1000), decided(10, 1));
    assert.deepEqual(timing(only(spans(), 'decide')), [1000, 1000]);
  });

  it('events of other kinds are ignored', () => {
    const { feed, spans, traces } = setup();
    feed(
      { type: 'daemon.state_changed', at: at(0), from: 'monitoring', to: 'paused' },
      { type: 'session.discovered', ...s1, at: at(0) },
      { type: 'resume.failed', ...s1, at: at(0), attempt: 1, errorType: 'internal', message: 'x' },
    );
    assert.equal(spans().length, 0);
    assert.equal(traces.openCount(), 0);
  });
});
