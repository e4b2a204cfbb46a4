import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeverityNumber } from '@opentelemetry/api-logs';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { pino } from 'pino';
import { createFailureReporter } from './otel-export-failures.js';
import { createOtlpLogStream, NOT_EXPORTED, toLogRecord } from './otlp-log-stream.js';

/** A real pino logger (the daemon's options) writing into the stream under test. */
function setup() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const errors: unknown[] = [];
  const stream = createOtlpLogStream(provider.getLogger('test'), (e) => errors.push(e));
  const log = pino(
    { level: 'trace', base: { pid: 4242 }, timestamp: pino.stdTimeFunctions.isoTime },
    stream,
  );
  return { log, records: () => exporter.getFinishedLogRecords(), errors };
}

describe('pino → OTLP log records', () => {
  it('maps every pino level to its severity number and text', () => {
    const { log, records } = setup();
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    assert.deepEqual(
      records().map((r) => [r.body, r.severityNumber, r.severityText]),
      [
        ['t', SeverityNumber.TRACE, 'trace'],
        ['d', SeverityNumber.DEBUG, 'debug'],
        ['i', SeverityNumber.INFO, 'info'],
        ['w', SeverityNumber.WARN, 'warn'],
        ['e', SeverityNumber.ERROR, 'error'],
        ['f', SeverityNumber.FATAL, 'fatal'],
      ],
    );
  });

  it('body is msg, the time is the record’s, other fields are attributes, pid is not', () => {
    const { log, records } = setup();
    const before = Date.now();
    log.info({ url: 'http://127.0.0.1:7654', nested: { a: [1, 'b', true] } }, 'daemon.started');
    const after = Date.now();
    const [record] = records();
    assert.ok(record);
    assert.equal(record.body, 'daemon.started');
    assert.deepEqual(record.attributes, {
      url: 'http://127.0.0.1:7654',
      nested: { a: [1, 'b', true] },
    });
    const ms = record.hrTime[0] * 1000 + record.hrTime[1] / 1e6;
    // isoTime has millisecond resolution: the record's time, not the export's.
    assert.ok(ms >= Math.floor(before) && ms <= after, `${ms} not in [${before}, ${after}]`);
    assert.equal(ms % 1, 0);
  });

  it('err becomes exception.* (and error.type from its code)', () => {
    const { log, records } = setup();
    const error = Object.assign(new TypeError('boom'), { code: 'ECONNREFUSED' });
    log.error({ err: error, agent: 'opencode' }, 'agent watcher stopped unexpectedly');
    const attributes = records()[0]?.attributes ?? {};
    assert.equal(attributes['exception.type'], 'TypeError');
    assert.equal(attributes['exception.message'], 'boom');
    const stack = attributes['exception.stacktrace'];
    assert.ok(typeof stack === 'string');
    assert.match(stack, /TypeError: boom\n\s+at /);
    assert.equal(attributes['error.type'], 'ECONNREFUSED');
    assert.equal(attributes['agent'], 'opencode');
    assert.equal('err' in attributes, false);
  });

  it('values under secret-looking keys are redacted before they leave', () => {
    const { log, records } = setup();
    log.info({ token: 's3cret', auth: { password: 'hunter2' }, token_file: '/run/t' }, 'x');
    assert.deepEqual(records()[0]?.attributes, {
      token: '<redacted>',
      auth: { password: '<redacted>' },
      token_file: '/run/t',
    });
  });

  it('records about OTLP export itself are never exported (no feedback loop)', () => {
    const { log, records } = setup();
    log.child(NOT_EXPORTED).warn({ signal: 'logs' }, 'OTLP export failed');
    log.info('kept');
    assert.deepEqual(
      records().map((r) => r.body),
      ['kept'],
    );
  });

  it('a line that is not JSON is kept as its text, and nothing is thrown', () => {
    assert.deepEqual(toLogRecord('not json\n'), {
      body: 'not json',
      severityNumber: SeverityNumber.UNSPECIFIED,
    });
  });

  it('a failing OTel logger never throws into the code that logged; it is reported later', async () => {
    const errors: unknown[] = [];
    const broken = {
      emit() {
        throw new Error('emit failed');
      },
      enabled: () => true,
    };
    const stream = createOtlpLogStream(broken, (e) => errors.push(e));
    const log = pino({ level: 'info' }, stream);
    assert.doesNotThrow(() => {
      log.info('hello');
    });
    assert.equal(errors.length, 0, 'reported inside the write');
    await Promise.resolve();
    assert.equal(errors.length, 1);
  });
});

describe('export failure reports', () => {
  it('the first failure is logged, repeats at most once per quiet period, with counts', () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'info' },
      { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) },
    );
    let now = 0;
    const reporter = createFailureReporter(log, () => now, 1000);
    reporter.report('traces', new Error('ECONNREFUSED'));
    now = 10;
    reporter.report('logs', new Error('ECONNREFUSED'));
    now = 999;
    reporter.report('logs', new Error('ECONNREFUSED'));
    assert.equal(lines.length, 1);
    now = 1000;
    reporter.report('traces', new Error('timeout'));
    assert.equal(lines.length, 2);
    const repeat = lines[1];
    assert.equal(repeat?.['unlogged'], 2);
    assert.equal(repeat['failures'], 4);
    now = 1001;
    reporter.report('traces', new Error('timeout'));
    reporter.summary();
    reporter.summary();
    assert.equal(lines.length, 3);
    assert.equal(lines[2]?.['unlogged'], 1);
  });
});
