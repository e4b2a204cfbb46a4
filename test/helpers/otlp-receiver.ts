import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

// A loopback OTLP/HTTP receiver: it accepts what the official @opentelemetry exporters send
// (JSON, `Content-Type: application/json`, POST /v1/traces and /v1/logs under the endpoint) and
// decodes it with schemas of the OTLP/JSON protobuf mapping, so a test sees the wire format (hex
// ids, `{key, value: {stringValue}}` attributes, nanosecond times as strings), not the SDK's
// objects. Anything it cannot decode is recorded as a failure and answered 400.

/** OTLP/JSON AnyValue: one of its fields is set; int64 may come as a string or a number. */
export type AnyValueJson = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValueJson[] };
  kvlistValue?: { values?: KeyValueJson[] };
  bytesValue?: string;
};
export interface KeyValueJson {
  key: string;
  value: AnyValueJson;
}

const anyValue: z.ZodType<AnyValueJson> = z.lazy(() =>
  z.strictObject({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string().regex(/^-?\d+$/), z.number().int()]).optional(),
    doubleValue: z.number().optional(),
    arrayValue: z.strictObject({ values: z.array(anyValue).optional() }).optional(),
    kvlistValue: z.strictObject({ values: z.array(keyValue).optional() }).optional(),
    bytesValue: z.string().optional(),
  }),
);
const keyValue: z.ZodType<KeyValueJson> = z.lazy(() =>
  z.strictObject({ key: z.string(), value: anyValue }),
);
const nanos = z.union([z.string().regex(/^\d+$/), z.number().int()]).transform(String);
const resource = z.looseObject({ attributes: z.array(keyValue) });
const scope = z.looseObject({ name: z.string(), version: z.string().optional() });

const spanSchema = z.looseObject({
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  spanId: z.string().regex(/^[0-9a-f]{16}$/),
  parentSpanId: z
    .string()
    .regex(/^([0-9a-f]{16})?$/)
    .optional(),
  name: z.string(),
  kind: z.number().int(),
  startTimeUnixNano: nanos,
  endTimeUnixNano: nanos,
  attributes: z.array(keyValue),
  events: z
    .array(z.looseObject({ name: z.string(), timeUnixNano: nanos, attributes: z.array(keyValue) }))
    .optional(),
  status: z.looseObject({ code: z.number().int().optional(), message: z.string().optional() }),
});
export const tracesRequestSchema = z.strictObject({
  resourceSpans: z.array(
    z.looseObject({
      resource,
      scopeSpans: z.array(z.looseObject({ scope, spans: z.array(spanSchema) })),
    }),
  ),
});

const logRecordSchema = z.looseObject({
  timeUnixNano: nanos,
  observedTimeUnixNano: nanos,
  severityNumber: z.number().int().optional(),
  severityText: z.string().optional(),
  body: anyValue.optional(),
  attributes: z.array(keyValue),
});
export const logsRequestSchema = z.strictObject({
  resourceLogs: z.array(
    z.looseObject({
      resource,
      scopeLogs: z.array(z.looseObject({ scope, logRecords: z.array(logRecordSchema) })),
    }),
  ),
});

export type SpanJson = z.infer<typeof spanSchema>;
export type LogRecordJson = z.infer<typeof logRecordSchema>;

/** A span or log record with its resource and scope flattened onto it, attributes decoded. */
export interface Received<T> {
  readonly item: T;
  readonly resource: Readonly<Record<string, unknown>>;
  readonly scope: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: unknown;
}

export interface OtlpReceiver {
  /** The endpoint to configure (no trailing slash). */
  readonly url: string;
  requests(): readonly ReceivedRequest[];
  spans(): Received<SpanJson>[];
  logs(): Received<LogRecordJson>[];
  /** Requests that did not decode, with why: a test asserts this is empty. */
  failures(): readonly string[];
  /** Answers every later request with this status (e.g. 500), or hangs it (`'hang'`). */
  answerWith(answer: number | 'hang'): void;
  close(): Promise<void>;
}

/** Decodes an AnyValue to a plain value; int64 becomes a number when it is safe to. */
export function decodeValue(value: AnyValueJson): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeValue);
  if (value.kvlistValue !== undefined) return decodeAttributes(value.kvlistValue.values ?? []);
  return value.bytesValue ?? null;
}

export function decodeAttributes(list: readonly KeyValueJson[]): Record<string, unknown> {
  return Object.fromEntries(list.map((kv) => [kv.key, decodeValue(kv.value)]));
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const failures: string[] = [];
  const spans: Received<SpanJson>[] = [];
  const logs: Received<LogRecordJson>[] = [];
  let answer: number | 'hang' = 200;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        failures.push(`${path}: body is not JSON: ${String(error)}`);
      }
      requests.push({ path, headers: req.headers, raw });
      const problem = decode(path, req.headers, raw, spans, logs);
      if (problem !== undefined) failures.push(`${path}: ${problem}`);
      if (answer === 'hang') return;
      const status = problem === undefined ? answer : 400;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    spans: () => spans,
    logs: () => logs,
    failures: () => failures,
    answerWith(next) {
      answer = next;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function decode(
  path: string,
  headers: IncomingHttpHeaders,
  raw: unknown,
  spans: Received<SpanJson>[],
  logs: Received<LogRecordJson>[],
): string | undefined {
  if (headers['content-type'] !== 'application/json') {
    return `content-type ${String(headers['content-type'])}`;
  }
  if (path.endsWith('/v1/traces')) {
    const parsed = tracesRequestSchema.safeParse(raw);
    if (!parsed.success) return z.prettifyError(parsed.error);
    for (const rs of parsed.data.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) spans.push(flatten(span, rs.resource, ss.scope));
      }
    }
    return undefined;
  }
  if (path.endsWith('/v1/logs')) {
    const parsed = logsRequestSchema.safeParse(raw);
    if (!parsed.success) return z.prettifyError(parsed.error);
    for (const rl of parsed.data.resourceLogs) {
      for (const sl of rl.scopeLogs) {
        for (const record of sl.logRecords) logs.push(flatten(record, rl.resource, sl.scope));
      }
    }
    return undefined;
  }
  return 'unexpected path';
}

function flatten<T extends { attributes: KeyValueJson[] }>(
  item: T,
  resource: { attributes: KeyValueJson[] },
  scope: { name: string },
): Received<T> {
  return {
    item,
    resource: decodeAttributes(resource.attributes),
    scope: scope.name,
    attributes: decodeAttributes(item.attributes),
  };
}
