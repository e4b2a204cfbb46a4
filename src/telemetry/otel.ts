import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { DestinationStream, Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { DaemonEvent } from '../core/events.js';
import { within } from '../node-util.js';
import {
  createFailureReporter,
  reportingExporter,
  type FailureReporter,
} from './otel-export-failures.js';
import { createOtlpLogStream, NOT_EXPORTED } from './otlp-log-stream.js';
import { createStopTraces } from './stop-traces.js';

export interface OtelOptions {
  readonly config: Config['otel'];
  readonly version: string;
  readonly log: Logger;
  readonly now: () => number;
  /** Sends every log line to `stream` too, until the returned function is called. */
  readonly teeLog?: ((stream: DestinationStream) => () => void) | undefined;
  /** How long shutdown may spend flushing; what is still unsent then is dropped. */
  readonly shutdownTimeoutMs?: number;
  /**
   * Every failed export (and log record that could not be handed over), for a counter: the log
   * says so at most every five minutes (see createFailureReporter).
   */
  readonly onExportFailure?: ((signal: 'traces' | 'logs') => void) | undefined;
}

export interface Otel {
  /** Subscribe it to the bus; absent when traces are off. */
  readonly recordEvent: ((event: DaemonEvent) => void) | undefined;
  /** Ends open stop traces, flushes and shuts the providers down within the bound. Never throws. */
  shutdown(): Promise<void>;
}

/** CompressionAlgorithm of @opentelemetry/otlp-exporter-base, which is not our dependency. */
type Compression = NonNullable<
  NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>['compression']
>;

/** One request's bound; the batch processors' own bound is longer, so ours reports first. */
const EXPORT_TIMEOUT_MS = 5000;
const PROCESSOR_TIMEOUT_MS = 10_000;
const SHUTDOWN_TIMEOUT_MS = 3000;
/** Explicit, so that OTEL_BSP_* and OTEL_*_LIMIT variables cannot change them behind the config. */
const BATCH = { maxQueueSize: 2048, maxExportBatchSize: 512 } as const;
const LIMITS = { attributeCountLimit: 128, attributeValueLengthLimit: 8192 } as const;

/**
 * Builds the OTLP/HTTP trace and log pipelines the config enables; undefined when neither is
 * (no exporter, provider or timer exists then). Only the daemon's composition root calls this.
 */
export function createOtel(options: OtelOptions): Otel | undefined {
  const { config, log } = options;
  if (!config.traces_enabled && !config.logs_enabled) return undefined;
  const resource = defaultResource().merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.service_name,
      [ATTR_SERVICE_VERSION]: options.version,
      'process.pid': process.pid,
    }),
  );
  const quiet = log.child(NOT_EXPORTED);
  const reporter = createFailureReporter(quiet, options.now);
  const failures: FailureReporter = {
    report(signal, error) {
      reporter.report(signal, error);
      options.onExportFailure?.(signal);
    },
    summary: () => {
      reporter.summary();
    },
  };

  const tracing = config.traces_enabled
    ? createTracing(config, resource, (error) => {
        failures.report('traces', error);
      })
    : undefined;
  const traces = tracing && createStopTraces({ tracer: tracing.tracer, now: options.now });

  let logging: LoggerProvider | undefined;
  let detach: (() => void) | undefined;
  if (config.logs_enabled && options.teeLog === undefined) {
    quiet.warn('otel.logs_enabled, but this daemon has no log stream to export: logs stay local');
  } else if (config.logs_enabled && options.teeLog !== undefined) {
    logging = createLogging(config, resource, (error) => {
      failures.report('logs', error);
    });
    const stream = createOtlpLogStream(logging.getLogger('palingenesis', options.version), (e) => {
      failures.report('logs', e);
    });
    detach = options.teeLog(stream);
  }

  let stopping: Promise<void> | undefined;
  return {
    recordEvent: traces?.record,
    shutdown() {
      stopping ??= (async () => {
        traces?.close();
        detach?.();
        const providers = [tracing?.provider, logging].filter((p) => p !== undefined);
        const timeoutMs = options.shutdownTimeoutMs ?? SHUTDOWN_TIMEOUT_MS;
        const settled = await within(
          Promise.allSettled(providers.map((p) => p.shutdown())),
          timeoutMs,
        );
        if (settled.timedOut) {
          quiet.warn({ timeoutMs }, 'OTLP flush at shutdown timed out: unsent spans/logs dropped');
        }
        for (const result of settled.timedOut ? [] : settled.value) {
          if (result.status === 'rejected') {
            quiet.warn({ err: result.reason }, 'OTLP provider shutdown failed');
          }
        }
        failures.summary();
      })();
      return stopping;
    },
  };
}

function createTracing(
  config: Config['otel'],
  resource: Resource,
  onFailure: (error: unknown) => void,
) {
  const exporter = new OTLPTraceExporter(exporterOptions(config, 'v1/traces'));
  const provider = new BasicTracerProvider({
    resource,
    sampler: new AlwaysOnSampler(),
    spanLimits: LIMITS,
    spanProcessors: [
      new BatchSpanProcessor(reportingExporter(exporter, onFailure), {
        ...BATCH,
        scheduledDelayMillis: 2000,
        exportTimeoutMillis: PROCESSOR_TIMEOUT_MS,
      }),
    ],
  });
  return { provider, tracer: provider.getTracer('palingenesis') };
}

function createLogging(
  config: Config['otel'],
  resource: Resource,
  onFailure: (error: unknown) => void,
): LoggerProvider {
  const exporter = new OTLPLogExporter(exporterOptions(config, 'v1/logs'));
  return new LoggerProvider({
    resource,
    logRecordLimits: LIMITS,
    processors: [
      new BatchLogRecordProcessor({
        ...BATCH,
        exporter: reportingExporter(exporter, onFailure),
        scheduledDelayMillis: 1000,
        exportTimeoutMillis: PROCESSOR_TIMEOUT_MS,
      }),
    ],
  });
}

/**
 * Every option the exporter would otherwise take from OTEL_EXPORTER_OTLP_* is given here (URL,
 * timeout, TLS agent), so the config decides. The one exception is the library's own merge of
 * OTEL_EXPORTER_OTLP_(TRACES_|LOGS_)HEADERS under ours, which the README documents.
 */
function exporterOptions(config: Config['otel'], signalPath: 'v1/traces' | 'v1/logs') {
  return {
    url: signalUrl(config.endpoint, signalPath),
    headers: { ...config.headers },
    timeoutMillis: EXPORT_TIMEOUT_MS,
    // The enum lives in @opentelemetry/otlp-exporter-base, which is not our dependency.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
    compression: 'none' as Compression,
    httpAgentOptions: { keepAlive: true },
  };
}

/** The OTLP spec's rule for OTEL_EXPORTER_OTLP_ENDPOINT: the signal path goes after the base. */
export function signalUrl(endpoint: string, signalPath: string): string {
  return `${endpoint.endsWith('/') ? endpoint : `${endpoint}/`}${signalPath}`;
}
