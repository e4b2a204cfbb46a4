import { readdirSync } from 'node:fs';
import { PerformanceObserver, monitorEventLoopDelay, type PerformanceEntry } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Process and runtime metrics, chosen to be cheap at scrape time. prom-client's
 * collectDefaultMetrics() is not used: its event-loop-lag collector waits a full loop turn on every
 * scrape (most of a scrape's cost) and it exports three gauges named `*_total` that promtool
 * rejects. Here the loop delay comes from a histogram sampled in the background instead.
 */
export function registerRuntimeMetrics(registry: Registry): { close(): void } {
  const registers = [registry];
  const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());

  registerCpu(registry);

  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since the Unix epoch, in seconds.',
    registers,
  }).set(startTimeSeconds);

  registerMemory(registry);

  if (process.platform === 'linux') {
    new Gauge({
      name: 'process_open_fds',
      help: 'Number of open file descriptors.',
      registers,
      collect() {
        // readdir itself holds one descriptor open while it runs.
        this.set(readdirSync('/proc/self/fd').length - 1);
      },
    });
  }

  new Gauge({
    name: 'nodejs_active_resources',
    help: 'Resources keeping the event loop alive, by type.',
    labelNames: ['type'],
    registers,
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const type of process.getActiveResourcesInfo())
        counts.set(type, (counts.get(type) ?? 0) + 1);
      for (const [type, count] of counts) this.set({ type }, count);
    },
  });

  const [major, minor, patch] = process.versions.node.split('.');
  new Gauge({
    name: 'nodejs_version_info',
    help: 'Node.js version info.',
    labelNames: ['version', 'major', 'minor', 'patch'],
    registers,
  }).set({ version: process.version, major, minor, patch }, 1);

  const loop = registerLoopDelay(registry);
  const gc = registerGcDuration(registry);
  return {
    close() {
      loop.close();
      gc.close();
    },
  };
}

function gauge(registry: Registry, name: string, help: string, collect?: () => void): Gauge {
  return new Gauge({ name, help, registers: [registry], ...(collect ? { collect } : {}) });
}

/** One read of process.cpuUsage() serves the three counters; the first one collected takes it. */
function registerCpu(registry: Registry): void {
  const counter = (name: string, help: string, collect?: () => void): Counter =>
    new Counter({ name, help, registers: [registry], ...(collect ? { collect } : {}) });
  const set = (c: Counter, microseconds: number): void => {
    c.reset();
    c.inc(microseconds / 1e6);
  };
  const user = counter('process_cpu_user_seconds_total', 'User CPU time spent, in seconds.', () => {
    const usage = process.cpuUsage();
    set(user, usage.user);
    set(system, usage.system);
    set(both, usage.user + usage.system);
  });
  const system = counter('process_cpu_system_seconds_total', 'System CPU time spent, in seconds.');
  const both = counter('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.');
}

/** One read of process.memoryUsage() serves all four gauges; the first one collected takes it. */
function registerMemory(registry: Registry): void {
  const collect = (): void => {
    const usage = process.memoryUsage();
    rss.set(usage.rss);
    heapTotal.set(usage.heapTotal);
    heapUsed.set(usage.heapUsed);
    external.set(usage.external);
  };
  const rss = gauge(
    registry,
    'process_resident_memory_bytes',
    'Resident memory size, in bytes.',
    collect,
  );
  const heapTotal = gauge(registry, 'nodejs_heap_size_total_bytes', 'V8 heap size, in bytes.');
  const heapUsed = gauge(registry, 'nodejs_heap_size_used_bytes', 'V8 heap used, in bytes.');
  const external = gauge(
    registry,
    'nodejs_external_memory_bytes',
    'Memory of C++ objects bound to JS, in bytes.',
  );
}

function registerLoopDelay(registry: Registry): { close(): void } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  // One read serves the three gauges, then the window restarts for the next scrape.
  const collect = (): void => {
    // Before the first sample the histogram reports meaningless extremes; export zeros instead.
    const sampled = histogram.count > 0;
    p50.set(sampled ? histogram.percentile(50) / 1e9 : 0);
    p99.set(sampled ? histogram.percentile(99) / 1e9 : 0);
    max.set(sampled ? histogram.max / 1e9 : 0);
    histogram.reset();
  };
  const p50 = gauge(
    registry,
    'nodejs_eventloop_delay_p50_seconds',
    'Median event loop delay since the last scrape, in seconds.',
    collect,
  );
  const p99 = gauge(
    registry,
    'nodejs_eventloop_delay_p99_seconds',
    '99th percentile event loop delay since the last scrape, in seconds.',
  );
  const max = gauge(
    registry,
    'nodejs_eventloop_delay_max_seconds',
    'Maximum event loop delay since the last scrape, in seconds.',
  );
  return {
    close() {
      histogram.disable();
    },
  };
}

function registerGcDuration(registry: Registry): { close(): void } {
  const histogram = new Histogram({
    name: 'nodejs_gc_duration_seconds',
    help: 'Garbage collection pauses by kind, in seconds.',
    labelNames: ['kind'],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    registers: [registry],
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      histogram.observe({ kind: gcKind(entry) }, entry.duration / 1000);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    close() {
      observer.disconnect();
    },
  };
}

const GC_KINDS: Readonly<Record<number, string>> = {
  1: 'major',
  2: 'minor',
  4: 'incremental',
  8: 'weakcb',
};

function gcKind(entry: PerformanceEntry): string {
  const detail: unknown = Reflect.get(entry, 'detail');
  const kind =
    typeof detail === 'object' && detail !== null && 'kind' in detail ? detail.kind : undefined;
  return (typeof kind === 'number' ? GC_KINDS[kind] : undefined) ?? 'other';
}
