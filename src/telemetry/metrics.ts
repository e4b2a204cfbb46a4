import { Gauge, Registry } from 'prom-client';
import { daemonStateCode, type DaemonState } from '../core/daemon-state.js';
import type { DaemonEvent } from '../core/events.js';
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
  readonly registry: Registry;
  render(): Promise<string>;
  /** Moves counters and histograms for one daemon event. */
  readonly record: (event: DaemonEvent) => void;
  close(): void;
}

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A dedicated registry per daemon: nothing is global, two daemons in one process do not mix. */
export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  const registers = [registry];

  new Gauge({
    name: 'palingenesis_info',
    help: 'Information about the palingenesis daemon; always 1.',
    labelNames: ['version'],
    registers,
  }).set({ version: deps.version }, 1);

  new Gauge({
    name: 'palingenesis_build_info',
    help: 'Build information: version and the short git commit it was built from; always 1.',
    labelNames: ['version', 'commit'],
    registers,
  }).set({ version: deps.version, commit: deps.commit }, 1);

  new Gauge({
    name: 'palingenesis_daemon_state',
    help: 'Current state of the daemon (1=monitoring, 2=paused, 3=waiting, 4=resuming).',
    registers,
    collect() {
      this.set(daemonStateCode(deps.daemonState()));
    },
  });

  new Gauge({
    name: 'palingenesis_uptime_seconds',
    help: 'Time since the daemon started, in seconds.',
    registers,
    collect() {
      this.set(deps.uptimeSeconds());
    },
  });

  const record = registerResumeMetrics(registry, deps.resume);
  const runtime = registerRuntimeMetrics(registry);
  let closed = false;
  return {
    contentType: EXPOSITION_CONTENT_TYPE,
    registry,
    render: () => registry.metrics(),
    record,
    close() {
      if (closed) return;
      closed = true;
      runtime.close();
      registry.clear();
    },
  };
}
