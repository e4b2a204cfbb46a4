import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { DaemonEvent } from '../core/events.js';
import { registerResumeMetrics, type SessionSnapshot } from './resume-metrics.js';

const AT = Date.parse('2026-11-27T22:00:00Z');
const session = { at: AT, agent: 'opencode', sessionId: 'ses_1' } as const;

async function values(registry: Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values) {
      const labels = Object.entries(v.labels)
        .map(([k, l]) => `${k}=${String(l)}`)
        .join(',');
      const name =
        'metricName' in v && typeof v.metricName === 'string' ? v.metricName : metric.name;
      out.set(labels === '' ? name : `${name}{${labels}}`, v.value);
    }
  }
  return out;
}

function setup(snapshot: Partial<SessionSnapshot> = {}) {
  const registry = new Registry();
  const record = registerResumeMetrics(
    { events: registry, live: registry },
    {
      agents: ['opencode', 'claude-code'],
      lifetime: { saves: 7, timeSavedSeconds: 2100 },
      snapshot: () => ({
        activeSessions: { opencode: 2, 'claude-code': 0 },
        retryAttempts: 1,
        ...snapshot,
      }),
    },
  );
  return { registry, record };
}

describe('resume metrics', () => {
  it('lifetime totals are restored, and every label combination starts at 0', async () => {
    const v = await values(setup().registry);
    assert.equal(v.get('palingenesis_saves_total'), 7);
    assert.equal(v.get('palingenesis_time_saved_seconds_total'), 2100);
    assert.equal(
      v.get('palingenesis_resumes_total{agent=claude-code,reason=context_exhausted}'),
      0,
    );
    assert.equal(
      v.get('palingenesis_resumes_failure_total{agent=opencode,error_type=not_verified}'),
      0,
    );
    assert.equal(v.get('palingenesis_rate_limits_total{agent=opencode}'), 0);
  });

  it('events move the counters and histograms', async () => {
    const { registry, record } = setup();
    const events: DaemonEvent[] = [
      {
        ...session,
        type: 'session.stopped',
        reason: 'rate_limit',
        detail: '429',
        detectionLatencyMs: 40,
      },
      { ...session, type: 'session.stopped', reason: 'context_exhausted', detail: 'overflow' },
      {
        ...session,
        type: 'resume.started',
        action: 'resume_same',
        reason: 'rate_limit',
        attempt: 1,
      },
      {
        ...session,
        type: 'session.resumed',
        action: 'resume_same',
        attempt: 1,
        waitedMs: 90_000,
        durationMs: 1500,
        savedSeconds: 390,
      },
      { ...session, type: 'resume.failed', attempt: 2, errorType: 'not_verified', message: 'x' },
      { ...session, type: 'session.started', fromSessionId: 'ses_0' },
    ];
    for (const event of events) record(event);
    const v = await values(registry);
    assert.equal(v.get('palingenesis_rate_limits_total{agent=opencode}'), 1);
    assert.equal(v.get('palingenesis_context_exhaustions_total{agent=opencode}'), 1);
    assert.equal(v.get('palingenesis_resumes_total{agent=opencode,reason=rate_limit}'), 1);
    assert.equal(v.get('palingenesis_resumes_success_total{agent=opencode}'), 1);
    assert.equal(
      v.get('palingenesis_resumes_failure_total{agent=opencode,error_type=not_verified}'),
      1,
    );
    assert.equal(v.get('palingenesis_sessions_started_total{agent=opencode}'), 1);
    assert.equal(v.get('palingenesis_saves_total'), 8);
    assert.equal(v.get('palingenesis_time_saved_seconds_total'), 2490);
    assert.equal(v.get('palingenesis_detection_latency_seconds_bucket{le=0.05}'), 1);
    assert.equal(v.get('palingenesis_detection_latency_seconds_bucket{le=0.01}'), 0);
    assert.equal(v.get('palingenesis_wait_duration_seconds_bucket{le=120}'), 1);
    assert.equal(v.get('palingenesis_wait_duration_seconds_bucket{le=60}'), 0);
    assert.equal(v.get('palingenesis_resume_duration_seconds_sum'), 1.5);
    assert.equal(v.get('palingenesis_time_saved_per_resume_seconds_bucket{le=600}'), 1);
  });

  it('histograms have exactly the buckets stories 7.2–7.4 give', async () => {
    const expected: Record<string, number[]> = {
      palingenesis_resume_duration_seconds: [0.1, 0.5, 1, 2, 5, 10, 30, 60],
      palingenesis_detection_latency_seconds: [0.01, 0.05, 0.1, 0.5, 1, 2, 5],
      palingenesis_wait_duration_seconds: [1, 5, 10, 30, 60, 120, 300, 600],
      palingenesis_time_saved_per_resume_seconds: [60, 120, 180, 300, 600, 900, 1800],
    };
    const metrics = await setup().registry.getMetricsAsJSON();
    for (const [name, buckets] of Object.entries(expected)) {
      const family = metrics.find((m) => m.name === name);
      assert.equal(family?.type, 'histogram', name);
      const les = family.values
        .filter((v) => 'metricName' in v && v.metricName === `${name}_bucket`)
        .map((v) => v.labels['le']);
      assert.deepEqual(les, [...buckets, '+Inf'], name);
    }
  });

  it('gauges read the session snapshot at scrape time', async () => {
    const v = await values(
      setup({ steps: { completed: 3, total: 5 }, pendingResumes: 2, overdueSeconds: 90.5 })
        .registry,
    );
    assert.equal(v.get('palingenesis_resumes_pending'), 2);
    assert.equal(v.get('palingenesis_resume_overdue_seconds'), 90.5);
    assert.equal(v.get('palingenesis_active_sessions{agent=opencode}'), 2);
    assert.equal(v.get('palingenesis_active_sessions{agent=claude-code}'), 0);
    assert.equal(v.get('palingenesis_retry_attempts'), 1);
    assert.equal(v.get('palingenesis_current_session_steps_completed'), 3);
    assert.equal(v.get('palingenesis_current_session_steps'), 5);
  });
});
