import {
  SeverityNumber,
  type AnyValue,
  type AnyValueMap,
  type Logger as OtelLogger,
  type LogRecord,
} from '@opentelemetry/api-logs';
import {
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
} from '@opentelemetry/semantic-conventions';
import type { DestinationStream } from 'pino';
import { redactSecrets } from '../config/render.js';

/**
 * Bound on the logger that reports OTLP export problems. Records carrying it are never exported:
 * they would fail the same way, and each failure would log (and try to export) another one.
 */
export const NOT_EXPORTED = { telemetry: 'otlp' } as const;

/** pino's numeric levels → OTLP severity; the text is pino's own label, as the source knows it. */
const SEVERITIES = new Map<number, [SeverityNumber, string]>([
  [10, [SeverityNumber.TRACE, 'trace']],
  [20, [SeverityNumber.DEBUG, 'debug']],
  [30, [SeverityNumber.INFO, 'info']],
  [40, [SeverityNumber.WARN, 'warn']],
  [50, [SeverityNumber.ERROR, 'error']],
  [60, [SeverityNumber.FATAL, 'fatal']],
]);

/** Fields that become the record's own parts, or the resource's (`pid`), not attributes. */
const OWN_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err']);

/**
 * PURE: one pino JSON line → an OTLP log record: severity from the level, body = msg, timestamp
 * from `time`, the other fields as attributes (secrets redacted), `err` as `exception.*`.
 * Undefined for a record that must not be exported (see NOT_EXPORTED).
 */
export function toLogRecord(line: string): LogRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    // pino writes JSON; anything else is still a log line worth keeping, as it is.
    return { body: line.trimEnd(), severityNumber: SeverityNumber.UNSPECIFIED };
  }
  if (!isRecord(parsed)) return { body: line.trimEnd() };
  if (parsed['telemetry'] === NOT_EXPORTED.telemetry) return undefined;
  const severity =
    typeof parsed['level'] === 'number' ? SEVERITIES.get(parsed['level']) : undefined;
  const time = parsed['time'];
  const timestamp =
    typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : Number.NaN;
  const fields = Object.entries(redactSecrets(parsed)).filter(([key]) => !OWN_FIELDS.has(key));
  const attributes: AnyValueMap = {
    ...Object.fromEntries(fields.map(([key, value]) => [key, toAnyValue(value)])),
    ...errorAttributes(parsed['err']),
  };
  return {
    ...(Number.isFinite(timestamp) ? { timestamp: new Date(timestamp) } : {}),
    severityNumber: severity?.[0] ?? SeverityNumber.UNSPECIFIED,
    ...(severity === undefined ? {} : { severityText: severity[1] }),
    body: typeof parsed['msg'] === 'string' ? parsed['msg'] : '',
    attributes,
  };
}

/**
 * A pino destination that hands every line to an OTel logger. It must never throw into the
 * code that logged; a failure is reported on a later tick (logging inside pino's write would
 * re-enter the multistream mid-record).
 */
export function createOtlpLogStream(
  logger: OtelLogger,
  onError: (error: unknown) => void,
): DestinationStream {
  return {
    write(line) {
      try {
        const record = toLogRecord(line);
        if (record !== undefined) logger.emit(record);
      } catch (error) {
        queueMicrotask(() => {
          onError(error);
        });
      }
    },
  };
}

/** pino's `err` serializer output → the semantic-convention exception attributes. */
function errorAttributes(err: unknown): AnyValueMap {
  if (!isRecord(err)) return {};
  const text = (key: string): string | undefined =>
    typeof err[key] === 'string' ? err[key] : undefined;
  const code = err['code'];
  const out: AnyValueMap = {};
  if (text('type') !== undefined) out[ATTR_EXCEPTION_TYPE] = text('type');
  if (text('message') !== undefined) out[ATTR_EXCEPTION_MESSAGE] = text('message');
  if (text('stack') !== undefined) out[ATTR_EXCEPTION_STACKTRACE] = text('stack');
  if (typeof code === 'string' || typeof code === 'number') out[ATTR_ERROR_TYPE] = String(code);
  return out;
}

function toAnyValue(value: unknown): AnyValue {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? value
      : null;
  }
  if (Array.isArray(value)) return value.map(toAnyValue);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toAnyValue(v)]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
