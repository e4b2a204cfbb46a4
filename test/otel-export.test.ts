import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { pino, type DestinationStream, type Logger } from 'pino';
import { defaultConfig, type Config } from '../src/config/schema.js';
import type { DaemonEvent } from '../src/core/events.js';
import { createOtel, signalUrl, type Otel } from '../src/telemetry/otel.js';
import { eventually } from './helpers/daemon-api.js';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';

// The real exporters, providers and batch processors against a loopback OTLP/HTTP receiver that
// decodes the JSON they send: the wire format is what is asserted, not the SDK's objects.

const T0 = Date.parse('2026-11-27T22:00:00Z');
const ses = { agent: 'opencode', sessionId: 'ses_wire' } as const;
const nanos = (ms: number): string => (BigInt(ms) * 1_000_000n).toString();

const STOP: DaemonEvent[] = [
  {
    type: 'session.stopped',
    ...ses,
    at: T0 + 50,
    reason: 'rate_limit',
    detail: '429',
    detectionLatencyMs: 50,
  },
  {
    type: 'decision.made',
    ...ses,
    at: T0 + 60,
    reason: 'rate_limit',
    action: 'resume_same',
    why: 'retry-after 3s',
    dueAt: T0 + 3060,
    attempt: 1,
  },
  {
    type: 'resume.scheduled',
    ...ses,
    at: T0 + 60,
    action: 'resume_same',
    reason: 'rate_limit',
    dueAt: T0 + 3060,
    attempt: 1,
    why: 'retry-after 3s',
  },
  {
    type: 'resume.started',
    ...ses,
    at: T0 + 3060,
    action: 'resume_same',
    reason: 'rate_limit',
    attempt: 1,
  },
  {
    type: 'resume.failed',
    ...ses,
    at: T0 + 4000,
    attempt: 1,
    errorType: 'not_verified',
    message: 'not busy in time',
  },
];

/** A pino logger that records its lines and can tee them, like the daemon's. */
function teeLogger(): {
  log: Logger;
  lines: () => string[];
  tee: (s: DestinationStream) => () => void;
} {
  const lines: string[] = [];
  let teed: DestinationStream | undefined;
  const log = pino(
    { level: 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    {
      write(line: string) {
        lines.push(line);
        teed?.write(line);
      },
    },
  );
  return {
    log,
    lines: () => lines,
    tee(stream) {
      teed = stream;
      return () => (teed = undefined);
    },
  };
}

function otelConfig(patch: Partial<Config['otel']>): Config['otel'] {
  return { ...defaultConfig().otel, ...patch };
}

describe('OTLP/HTTP export to a loopback receiver', () => {
  let receiver: OtlpReceiver;
  let otel: Otel | undefined;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await otel?.shutdown();
    otel = undefined;
  });
  after(async () => {
    await receiver.close();
  });

  it('traces: the OTLP JSON structure, ids, parents, times, attributes, resource and headers', async () => {
    const logger = teeLogger();
    otel = createOtel({
      config: otelConfig({
        traces_enabled: true,
        endpoint: `${receiver.url}/otlp`,
        service_name: 'pal-wire-test',
        headers: { Authorization: 'Bearer t0k3n', 'X-Scope-OrgID': 'tenant-1' },
      }),
      version: '9.9.9',
      log: logger.log,
      now: () => T0 + 5000,
      teeLog: logger.tee,
    });
    assert.ok(otel?.recordEvent);
    for (const event of STOP) otel.recordEvent(event);
    await otel.shutdown(); // flushes: the retry's wait and the root are still open until here

    assert.deepEqual(receiver.failures(), []);
    const request = receiver.requests().find((r) => r.path.endsWith('/v1/traces'));
    assert.ok(request, 'no trace export arrived');
    assert.equal(request.path, '/otlp/v1/traces');
    assert.equal(request.headers['authorization'], 'Bearer t0k3n');
    assert.equal(request.headers['x-scope-orgid'], 'tenant-1');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(receiver.requests().filter((r) => r.path.endsWith('/v1/logs')).length, 0);

    const spans = receiver.spans();
    const root = spans.find((s) => s.item.name === 'palingenesis.stop');
    assert.ok(root);
    assert.equal(root.resource['service.name'], 'pal-wire-test');
    assert.equal(root.resource['service.version'], '9.9.9');
    assert.equal(root.resource['telemetry.sdk.language'], 'nodejs');
    assert.equal(root.scope, 'palingenesis');
    assert.ok(root.item.parentSpanId === undefined || root.item.parentSpanId === '');
    assert.deepEqual(spans.map((s) => s.item.name).sort(), [
      'decide',
      'detect',
      'palingenesis.stop',
      'resume',
      'wait',
    ]);
    for (const child of spans.filter((s) => s !== root)) {
      assert.equal(child.item.traceId, root.item.traceId, child.item.name);
      assert.equal(child.item.parentSpanId, root.item.spanId, child.item.name);
      assert.notEqual(child.item.spanId, root.item.spanId);
    }
    // The wire keeps the event times to the nanosecond.
    assert.equal(root.item.startTimeUnixNano, nanos(T0));
    assert.equal(root.item.endTimeUnixNano, nanos(T0 + 5000));
    const resume = spans.find((s) => s.item.name === 'resume');
    assert.ok(resume);
    assert.equal(resume.item.startTimeUnixNano, nanos(T0 + 3060));
    assert.equal(resume.item.endTimeUnixNano, nanos(T0 + 4000));
    assert.deepEqual(resume.item.status, { code: 2, message: 'not busy in time' });
    assert.equal(resume.attributes['error.type'], 'not_verified');
    assert.equal(resume.attributes['palingenesis.attempt'], 1);
    // Raw OTLP/JSON attribute shape, as a backend receives it.
    assert.ok(
      root.item.attributes.some(
        (kv) => kv.key === 'palingenesis.agent' && kv.value.stringValue === 'opencode',
      ),
      JSON.stringify(root.item.attributes),
    );
    assert.equal(root.attributes['palingenesis.reason'], 'rate_limit');
    assert.equal(root.attributes['palingenesis.session_id'], 'ses_wire');
    assert.equal(root.attributes['palingenesis.outcome'], 'daemon_stopped');
  });

  it('logs: severity, body, record time, attributes and service name', async () => {
    const logger = teeLogger();
    otel = createOtel({
      config: otelConfig({ logs_enabled: true, endpoint: receiver.url, service_name: 'pal-logs' }),
      version: '1.2.3',
      log: logger.log,
      now: Date.now,
      teeLog: logger.tee,
    });
    assert.equal(otel?.recordEvent, undefined, 'traces are off');
    logger.log.info({ url: 'http://127.0.0.1:1', token: 'hunter2' }, 'daemon.started');
    logger.log.warn({ session: 'opencode:ses_1' }, 'resume attempt failed');
    const sent = logger.lines().map((l) => JSON.parse(l) as { time: string });
    // Arrives without a shutdown: the batch processor exports on its own schedule.
    const logs = await eventually('two log records', 10_000, async () =>
      Promise.resolve(receiver.logs().length >= 2 ? receiver.logs() : undefined),
    );
    assert.deepEqual(receiver.failures(), []);
    const [started, failed] = logs;
    assert.ok(started && failed);
    assert.equal(started.resource['service.name'], 'pal-logs');
    assert.equal(started.resource['process.pid'], process.pid);
    assert.deepEqual(started.item.body, { stringValue: 'daemon.started' });
    assert.equal(started.item.severityNumber, 9);
    assert.equal(started.item.severityText, 'info');
    assert.equal(started.item.timeUnixNano, nanos(Date.parse(sent[0]?.time ?? '')));
    assert.deepEqual(started.attributes, { url: 'http://127.0.0.1:1', token: '<redacted>' });
    assert.equal(failed.item.severityNumber, 13);
    assert.equal(failed.item.severityText, 'warn');
    assert.equal(failed.attributes['session'], 'opencode:ses_1');
    const raw = JSON.stringify(receiver.requests().map((r) => r.raw));
    assert.doesNotMatch(raw, /hunter2/);
  });

  it('a failing collector is reported once in the local log, never exported, and stops nothing', async () => {
    const logger = teeLogger();
    const failing = await startOtlpReceiver();
    failing.answerWith(500);
    try {
      // Traces fail (500), logs go to the working receiver: the failure report must not be
      // among the exported logs.
      const tracesFail = createOtel({
        config: otelConfig({ traces_enabled: true, endpoint: failing.url }),
        version: '0',
        log: logger.log,
        now: Date.now,
      });
      const logsWork = createOtel({
        config: otelConfig({ logs_enabled: true, endpoint: receiver.url }),
        version: '0',
        log: logger.log,
        now: Date.now,
        teeLog: logger.tee,
      });
      assert.ok(tracesFail?.recordEvent && logsWork);
      for (const event of STOP) tracesFail.recordEvent(event);
      await tracesFail.shutdown();
      await tracesFail.shutdown();
      logger.log.info('after the failure');
      await logsWork.shutdown();
      const reports = logger
        .lines()
        .map((l) => JSON.parse(l) as { msg: string; telemetry?: string; signal?: string })
        .filter((l) => l.msg.startsWith('OTLP export failed'));
      assert.equal(reports.length, 1, logger.lines().join(''));
      const [report] = reports;
      assert.equal(report?.telemetry, 'otlp');
      assert.equal(report.signal, 'traces');
      assert.ok(failing.requests().length >= 1);
      const exported = receiver.logs().map((l) => l.item.body?.stringValue);
      assert.ok(exported.includes('after the failure'), JSON.stringify(exported));
      assert.ok(!exported.some((m) => m?.startsWith('OTLP export failed')));
    } finally {
      await failing.close();
    }
  });

  it('a collector that never answers cannot hold up shutdown beyond its bound', async () => {
    const hanging = await startOtlpReceiver();
    hanging.answerWith('hang');
    const logger = teeLogger();
    try {
      const slow = createOtel({
        config: otelConfig({ traces_enabled: true, logs_enabled: true, endpoint: hanging.url }),
        version: '0',
        log: logger.log,
        now: Date.now,
        teeLog: logger.tee,
        shutdownTimeoutMs: 300,
      });
      assert.ok(slow?.recordEvent);
      for (const event of STOP) slow.recordEvent(event);
      logger.log.info('one record');
      const started = Date.now();
      await slow.shutdown();
      const tookMs = Date.now() - started;
      assert.ok(tookMs < 2000, `shutdown took ${tookMs} ms`);
      assert.match(logger.lines().join(''), /OTLP flush at shutdown timed out/);
      assert.ok(hanging.requests().length >= 1, 'nothing was attempted');
    } finally {
      await hanging.close();
    }
  });

  it('a collector that is down: shutdown still completes, nothing throws, failures are counted', async () => {
    const gone = await startOtlpReceiver();
    const url = gone.url;
    await gone.close();
    const logger = teeLogger();
    const failed: string[] = [];
    const down = createOtel({
      config: otelConfig({ traces_enabled: true, endpoint: url }),
      version: '0',
      log: logger.log,
      now: Date.now,
      shutdownTimeoutMs: 6000,
      onExportFailure: (signal) => failed.push(signal),
    });
    assert.ok(down?.recordEvent);
    for (const event of STOP) down.recordEvent(event);
    await down.shutdown();
    assert.match(logger.lines().join(''), /OTLP export failed/);
    assert.ok(failed.length >= 1, 'the failed export was counted');
    assert.ok(failed.every((s) => s === 'traces'));
  });

  it('OTEL_* variables in the environment do not override the config', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/v1/traces',
      OTEL_TRACES_SAMPLER: 'always_off',
      OTEL_SERVICE_NAME: 'from-env',
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '2',
      OTEL_BSP_MAX_QUEUE_SIZE: '1',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    });
    const before = receiver.spans().length;
    try {
      const logger = teeLogger();
      otel = createOtel({
        config: otelConfig({ traces_enabled: true, endpoint: receiver.url }),
        version: '0',
        log: logger.log,
        now: () => T0 + 5000,
      });
      assert.ok(otel?.recordEvent);
      for (const event of STOP) otel.recordEvent(event);
      await otel.shutdown();
    } finally {
      for (const key of Object.keys(process.env)) {
        if (!(key in saved)) Reflect.deleteProperty(process.env, key);
      }
    }
    const spans = receiver.spans().slice(before);
    assert.equal(spans.length, 5, 'sampler, queue size or endpoint came from the environment');
    assert.equal(spans[0]?.resource['service.name'], 'palingenesis');
    assert.ok(spans.some((s) => s.attributes['palingenesis.reason'] === 'rate_limit'));
    assert.deepEqual(receiver.failures(), [], 'compression came from the environment');
  });

  it('with the defaults (both off) nothing is created: no exporter, provider or tee', () => {
    let teed = false;
    const created = createOtel({
      config: defaultConfig().otel,
      version: '0',
      log: pino({ level: 'silent' }),
      now: Date.now,
      teeLog: () => {
        teed = true;
        return () => undefined;
      },
    });
    assert.equal(created, undefined);
    assert.equal(teed, false);
  });

  it('the signal path goes after the endpoint, as for OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    assert.equal(signalUrl('http://c:4318', 'v1/traces'), 'http://c:4318/v1/traces');
    assert.equal(signalUrl('http://c:4318/', 'v1/logs'), 'http://c:4318/v1/logs');
    assert.equal(signalUrl('https://g/otlp', 'v1/traces'), 'https://g/otlp/v1/traces');
  });
});
