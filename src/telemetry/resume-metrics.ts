import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DaemonEvent, FailureType } from '../core/events.js';
import type { AgentKind } from '../core/stop-reason.js';

/** What the gauges read at scrape time. */
export interface SessionSnapshot {
  readonly activeSessions: Readonly<Record<AgentKind, number>>;
  /** Pending or running resume jobs past their first attempt. */
  readonly retryAttempts: number;
  /** Resume jobs waiting for their time (or held by a pause). */
  readonly pendingResumes?: number | undefined;
  /** How far the most overdue waiting job is past its due time, in seconds; 0 when none. */
  readonly overdueSeconds?: number | undefined;
  /** Todo items of the most recently active session, when it has a list. */
  readonly steps?: { readonly completed: number; readonly total: number } | undefined;
}

export interface ResumeMetricsDeps {
  /** Lifetime totals restored from the state file, so the counters survive restarts. */
  readonly lifetime: { readonly saves: number; readonly timeSavedSeconds: number };
  /** Every registered agent: its series start at zero, so a rate() has a first sample. */
  readonly agents: readonly AgentKind[];
  readonly snapshot: () => SessionSnapshot;
}

const RESUMABLE = ['rate_limit', 'context_exhausted', 'overloaded', 'crash'] as const;
const FAILURES: readonly FailureType[] = [
  'not_verified',
  'agent_unreachable',
  'request_failed',
  'internal',
];

/** Stories 7.2–7.4: counters and histograms moved by daemon events, gauges read at scrape. */
export function registerResumeMetrics(
  registries: { readonly events: Registry; readonly live: Registry },
  deps: ResumeMetricsDeps,
): (event: DaemonEvent) => void {
  // Counters and histograms change only on events; the gauges are read at every scrape.
  const registers = [registries.events];
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers });
  const histogram = (name: string, help: string, buckets: number[]) =>
    new Histogram({ name, help, buckets, registers });

  const resumes = counter(
    'palingenesis_resumes_total',
    'Resume actions started, by agent and stop reason.',
    ['agent', 'reason'],
  );
  const successes = counter(
    'palingenesis_resumes_success_total',
    'Resume actions verified to have restarted work.',
    ['agent'],
  );
  const failures = counter(
    'palingenesis_resumes_failure_total',
    'Resume actions that failed, by error type.',
    ['agent', 'error_type'],
  );
  const started = counter(
    'palingenesis_sessions_started_total',
    'Fresh sessions started with a handoff.',
    ['agent'],
  );
  const rateLimits = counter(
    'palingenesis_rate_limits_total',
    'Stops classified as rate or usage limits.',
    ['agent'],
  );
  const exhaustions = counter(
    'palingenesis_context_exhaustions_total',
    'Stops classified as context exhaustion.',
    ['agent'],
  );
  const restarts = counter(
    'palingenesis_agent_restarts_total',
    'Restarts of a managed agent process after it died.',
    ['agent'],
  );
  const saves = counter(
    'palingenesis_saves_total',
    'Verified automatic resumes (lifetime, survives restarts).',
  );
  const saved = counter(
    'palingenesis_time_saved_seconds_total',
    'Estimated human time saved, in seconds (lifetime).',
  );
  const reloads = counter(
    'palingenesis_config_reloads_total',
    'Configuration reloads (SIGHUP or a changed file), by result: success or failure.',
    ['result'],
  );
  for (const result of ['success', 'failure']) reloads.inc({ result }, 0);
  saves.inc(deps.lifetime.saves);
  saved.inc(deps.lifetime.timeSavedSeconds);
  for (const agent of deps.agents) {
    for (const reason of RESUMABLE) resumes.inc({ agent, reason }, 0);
    for (const errorType of FAILURES) failures.inc({ agent, error_type: errorType }, 0);
    for (const c of [successes, started, rateLimits, exhaustions, restarts]) c.inc({ agent }, 0);
  }

  const duration = histogram(
    'palingenesis_resume_duration_seconds',
    'From starting a resume to the session verified busy, in seconds.',
    [0.1, 0.5, 1, 2, 5, 10, 30, 60],
  );
  const detection = histogram(
    'palingenesis_detection_latency_seconds',
    'From the agent recording a stop to its classification, in seconds.',
    [0.01, 0.05, 0.1, 0.5, 1, 2, 5],
  );
  const wait = histogram(
    'palingenesis_wait_duration_seconds',
    'From a stop to its resume, in seconds.',
    [1, 5, 10, 30, 60, 120, 300, 600],
  );
  const perResume = histogram(
    'palingenesis_time_saved_per_resume_seconds',
    'Estimated human time saved by one resume, in seconds.',
    [60, 120, 180, 300, 600, 900, 1800],
  );

  registerSessionGauges(registries.live, deps.agents, deps.snapshot);

  return (event) => {
    switch (event.type) {
      case 'config.reloaded':
        reloads.inc({ result: 'success' });
        break;
      case 'config.rejected':
        reloads.inc({ result: 'failure' });
        break;
      case 'session.stopped':
        if (event.reason === 'rate_limit') rateLimits.inc({ agent: event.agent });
        if (event.reason === 'context_exhausted') exhaustions.inc({ agent: event.agent });
        if (event.detectionLatencyMs !== undefined)
          detection.observe(event.detectionLatencyMs / 1000);
        return;
      case 'resume.started':
        resumes.inc({ agent: event.agent, reason: event.reason });
        return;
      case 'session.resumed':
        successes.inc({ agent: event.agent });
        saves.inc();
        saved.inc(event.savedSeconds);
        duration.observe(event.durationMs / 1000);
        wait.observe(event.waitedMs / 1000);
        perResume.observe(event.savedSeconds);
        return;
      case 'resume.failed':
        failures.inc({ agent: event.agent, error_type: event.errorType });
        return;
      case 'session.started':
        started.inc({ agent: event.agent });
        return;
      case 'agent.restarted':
        restarts.inc({ agent: event.agent });
        return;
      default:
        return;
    }
  };
}

function registerSessionGauges(
  registry: Registry,
  agents: readonly AgentKind[],
  snapshot: () => SessionSnapshot,
): void {
  // The first gauge written out takes one snapshot and sets all four: the snapshot walks every
  // tracked session, so it is read once per scrape rather than once per gauge.
  const active = new Gauge({
    name: 'palingenesis_active_sessions',
    help: 'Sessions being tracked that are working right now, by agent.',
    labelNames: ['agent'],
    registers: [registry],
    collect() {
      const now = snapshot();
      for (const agent of agents) active.set({ agent }, now.activeSessions[agent] ?? 0);
      retries.set(now.retryAttempts);
      pending.set(now.pendingResumes ?? 0);
      overdue.set(now.overdueSeconds ?? 0);
      completed.set(now.steps?.completed ?? 0);
      total.set(now.steps?.total ?? 0);
    },
  });
  const pending = new Gauge({
    name: 'palingenesis_resumes_pending',
    help: 'Resume jobs waiting for their wake time (or held while paused).',
    registers: [registry],
  });
  const overdue = new Gauge({
    name: 'palingenesis_resume_overdue_seconds',
    help: 'How long the most overdue waiting resume job is past its wake time; 0 when none.',
    registers: [registry],
  });
  const retries = new Gauge({
    name: 'palingenesis_retry_attempts',
    help: 'Resume jobs pending or running beyond their first attempt.',
    registers: [registry],
  });
  const completed = new Gauge({
    name: 'palingenesis_current_session_steps_completed',
    help: 'Todo items completed in the most recently active session.',
    registers: [registry],
  });
  // The issue names this `…_steps_total`, but a gauge may not end in _total (promtool rejects it
  // and Prometheus would read it as a counter), so the planned total is `…_steps`.
  const total = new Gauge({
    name: 'palingenesis_current_session_steps',
    help: 'Todo items in the most recently active session.',
    registers: [registry],
  });
}
