import type { Logger } from 'pino';

/** The result an OTel exporter hands its callback (`ExportResult` of @opentelemetry/core). */
interface ExportResult {
  readonly code: number;
  readonly error?: Error;
}

/** The shape SpanExporter and LogRecordExporter share. */
export interface Exporter<T> {
  export(items: T[], done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

/** ExportResultCode.SUCCESS. */
const SUCCESS = 0;

/**
 * Wraps an exporter so that failed exports are reported. Without it they reach only the OTel
 * diagnostic logger, which is silent unless a global one is installed (and that is global state).
 */
export function reportingExporter<T>(
  inner: Exporter<T>,
  onFailure: (error: unknown) => void,
): Required<Exporter<T>> {
  return {
    export(items, done) {
      inner.export(items, (result) => {
        if (result.code !== SUCCESS) onFailure(result.error);
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

export interface FailureReporter {
  report(signal: 'traces' | 'logs', error: unknown): void;
  /** Logs the failures not yet reported, if any (at shutdown). */
  summary(): void;
}

const QUIET_MS = 5 * 60_000;

/**
 * A collector that is down fails every batch: the first failure is logged at once, the next at
 * most every five minutes with how many were not logged in between. `log` must be a logger whose
 * records are not exported themselves.
 */
export function createFailureReporter(
  log: Logger,
  now: () => number,
  quietMs = QUIET_MS,
): FailureReporter {
  let lastLoggedAt: number | undefined;
  let unlogged = 0;
  let total = 0;
  return {
    report(signal, error) {
      total += 1;
      const at = now();
      if (lastLoggedAt !== undefined && at - lastLoggedAt < quietMs) {
        unlogged += 1;
        return;
      }
      log.warn(
        { signal, err: error, failures: total, unlogged },
        'OTLP export failed; spans/logs in that batch are dropped (repeats logged every 5 min)',
      );
      lastLoggedAt = at;
      unlogged = 0;
    },
    summary() {
      if (unlogged === 0) return;
      log.warn({ failures: total, unlogged }, 'OTLP export failures not logged individually');
      unlogged = 0;
    },
  };
}
