import { Gauge, Registry } from 'prom-client';
import { daemonStateCode, type DaemonState } from '../core/daemon-state.js';
import type { DaemonEvent } from '../core/events.js';
import { registerInputMetrics, type InputMetrics } from './input-metrics.js';
import { registerNotificationMetrics, type NotificationMetrics } from './notification-metrics.js';
import { registerResumeMetrics, type ResumeMetricsDeps } from './resume-metrics.js';
import { registerRuntimeMetrics } from './runtime-metrics.js';

export interface MetricsDeps {
  readonly version: string;
  readonly commit: string;
  /** Seconds since the daemon started, read at scrape time. */
  readonly uptimeSeconds: () => number;
  readonly daemonState: () => DaemonState;
  readonly resume: ResumeMetricsDeps;
}

export interface Metrics {
  /** The exact Content-Type of the text exposition format 0.0.4. */
  readonly contentType: string;
  render(): Promise<string>;
  /** Moves counters and histograms for one daemon event. */
  readonly record: (event: DaemonEvent) => void;
  /** Notification deliveries, which end outside the event bus. */
  readonly notifications: NotificationMetrics;
  /** Caught failures and refused inputs, which also happen off the bus. */
  readonly inputs: InputMetrics;
  close(): void;
}

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Dedicated registries per daemon: nothing is global, two daemons in one process do not mix.
 * Three of them, by how often their text changes: constant (info), live (read at every scrape:
 * state, uptime, session gauges, runtime) and event-driven (the resume counters and histograms,
 * which change only when the daemon acts). The last two are most of the exposition, so their text
 * is kept between scrapes and rendered again only after an event: a scrape renders only what can
 * have changed.
 */
export function createMetrics(deps: MetricsDeps): Metrics {
  const constant = new Registry();
  const live = new Registry();
  const events = new Registry();

  new Gauge({
    name: 'palingenesis_info',
    help: 'Information about the palingenesis daemon; always 1.',
    labelNames: ['version'],
    registers: [constant],
  }).set({ version: deps.version }, 1);

  new Gauge({
    name: 'palingenesis_build_info',
    help: 'Build information: version and the short git commit it was built from; always 1.',
    labelNames: ['version', 'commit'],
    registers: [constant],
  }).set({ version: deps.version, commit: deps.commit }, 1);

  new Gauge({
    name: 'palingenesis_daemon_state',
    help: 'Current state of the daemon (1=monitoring, 2=paused, 3=waiting, 4=resuming).',
    registers: [live],
    collect() {
      this.set(daemonStateCode(deps.daemonState()));
    },
  });

  new Gauge({
    name: 'palingenesis_uptime_seconds',
    help: 'Time since the daemon started, in seconds.',
    registers: [live],
    collect() {
      this.set(deps.uptimeSeconds());
    },
  });

  const apply = registerResumeMetrics({ events, live }, deps.resume);
  const runtime = registerRuntimeMetrics(live);
  const notifications = registerNotificationMetrics(live);
  const inputs = registerInputMetrics(live);
  let constantText: string | undefined;
  let eventText: string | undefined;
  let closed = false;
  return {
    contentType: EXPOSITION_CONTENT_TYPE,
    async render() {
      constantText ??= await constant.metrics();
      eventText ??= await events.metrics();
      return `${constantText}${await live.metrics()}${eventText}`;
    },
    record(event) {
      apply(event);
      eventText = undefined;
    },
    notifications,
    inputs,
    close() {
      if (closed) return;
      closed = true;
      runtime.close();
      for (const registry of [constant, live, events]) registry.clear();
      constantText = undefined;
      eventText = undefined;
    },
  };
}
