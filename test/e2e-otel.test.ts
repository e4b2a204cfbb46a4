import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { lastMessageText, rateLimitedTurn } from './fake-llm/script.js';
import { eventually } from './helpers/daemon-api.js';
import { startHarness, type OpencodeHarness } from './helpers/opencode-harness.js';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';

// The built daemon exporting to a loopback OTLP receiver: its own logs from start to stop, and
// the trace of a real stop (opencode against the fake LLM, a 429 it gives up on) and its resume.

const CONTINUE = 'PALINGENESIS-OTEL-CONTINUE: carry on.';
const NO_AGENTS = ['[opencode]', 'enabled = false', '[claude_code]', 'enabled = false'];

function otelToml(receiver: OtlpReceiver, keys: string[]): string[] {
  return ['[otel]', `endpoint = "${receiver.url}"`, ...keys];
}

describe('the daemon exports over OTLP/HTTP', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  it('with the defaults (traces and logs off) nothing is sent, even with an endpoint set', async () => {
    const daemon = await spawnDaemon(
      ['[http]', 'port = 0', ...NO_AGENTS, ...otelToml(receiver, []), ''].join('\n'),
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500)); // past a batch delay
      assert.equal(await daemon.stop(), 0, daemon.stderrTail());
      assert.deepEqual(receiver.requests(), []);
    } finally {
      await daemon.stop();
      await daemon.home.remove();
    }
  });

  it('logs: from daemon.started to daemon.stopped, with service name, severity and pid', async () => {
    const daemon = await spawnDaemon(
      [
        '[http]',
        'port = 0',
        ...NO_AGENTS,
        ...otelToml(receiver, [
          'logs_enabled = true',
          'service_name = "pal-e2e"',
          'headers = { Authorization = "Bearer e2e-s3cret" }',
        ]),
        '',
      ].join('\n'),
    );
    const fromDaemon = () =>
      receiver.logs().filter((l) => l.resource['process.pid'] === daemon.pid);
    try {
      // Exported while running, on the batch schedule, not only at shutdown.
      await eventually('daemon.started to arrive', 15_000, () =>
        Promise.resolve(
          fromDaemon().some((l) => l.item.body?.stringValue === 'daemon.started')
            ? true
            : undefined,
        ),
      );
      assert.equal(await daemon.stop(), 0, daemon.stderrTail());
    } finally {
      await daemon.stop();
    }
    try {
      assert.deepEqual(receiver.failures(), []);
      const logs = fromDaemon();
      const bodies = logs.map((l) => l.item.body?.stringValue);
      for (const expected of [
        'daemon.started',
        'daemon.signal',
        'daemon.stopping',
        'daemon.stopped',
      ]) {
        assert.ok(bodies.includes(expected), `${expected} missing from ${JSON.stringify(bodies)}`);
      }
      const started = logs.find((l) => l.item.body?.stringValue === 'daemon.started');
      assert.ok(started);
      assert.equal(started.resource['service.name'], 'pal-e2e');
      assert.equal(typeof started.resource['service.version'], 'string');
      assert.equal(started.item.severityNumber, 9);
      assert.equal(started.item.severityText, 'info');
      assert.equal(started.attributes['url'], daemon.url);
      const auth = receiver.requests().map((r) => r.headers['authorization']);
      assert.ok(
        auth.every((a) => a === 'Bearer e2e-s3cret'),
        JSON.stringify(auth),
      );
      // The log file is unchanged by the export, and the header never reaches it.
      const file = await readFile(daemon.home.state.logFile, 'utf8');
      assert.match(file, /"msg":"daemon\.stopped"/);
      assert.doesNotMatch(file + daemon.stderrTail(), /e2e-s3cret/);
    } finally {
      await daemon.home.remove();
    }
  });

  describe('traces of a real stop with opencode', () => {
    let h: OpencodeHarness;
    let daemon: SpawnedDaemon;
    before(async () => {
      h = await startHarness();
      daemon = await spawnDaemon(
        [
          '[http]',
          'port = 0',
          '[claude_code]',
          'enabled = false',
          '[opencode]',
          `url = "${h.server.url}"`,
          '[resume]',
          `continue_prompt = "${CONTINUE}"`,
          'margin_seconds = 0',
          'verify_timeout_seconds = 20',
          ...otelToml(receiver, ['traces_enabled = true', 'service_name = "pal-e2e-traces"']),
          '',
        ].join('\n'),
      );
    });
    after(async () => {
      try {
        await daemon.stop();
      } finally {
        await h.close();
        await daemon.home.remove();
      }
    });

    const failWith = (error: unknown): never => {
      throw new Error(
        `${String(error)}\n${h.diagnostics()}\ndaemon stderr:\n${daemon.stderrTail()}`,
      );
    };

    it('a 429 opencode gives up on: stop → detect, decide, wait, resume, in one trace', async () => {
      const session = await h.client.createSession('traced rate limit');
      h.fake.enqueue(...rateLimitedTurn(2));
      h.fake.setDefault({ kind: 'ok', text: 'Done after the limit.' });
      await h.client.promptAsync(session.id, 'Do the long task.');
      await h.fake
        .waitForRequest(
          (r) => r.body !== undefined && lastMessageText(r.body)?.includes(CONTINUE) === true,
          30_000,
        )
        .catch(failWith);

      const mine = () =>
        receiver.spans().filter((s) => s.resource['service.name'] === 'pal-e2e-traces');
      // The root ends at the verified resume; the batch exports it within seconds, while running.
      const root = await eventually('the resumed stop’s root span', 30_000, () =>
        Promise.resolve(
          mine().find(
            (s) =>
              s.item.name === 'palingenesis.stop' &&
              s.attributes['palingenesis.session_id'] === session.id &&
              s.attributes['palingenesis.outcome'] === 'resumed',
          ),
        ),
      ).catch(failWith);
      assert.deepEqual(receiver.failures(), []);
      assert.equal(root.attributes['palingenesis.agent'], 'opencode');
      assert.equal(root.attributes['palingenesis.reason'], 'rate_limit');
      assert.equal(root.attributes['palingenesis.action'], 'resume_same');
      assert.deepEqual(root.item.status, { code: 1 });

      const children = mine().filter((s) => s.item.parentSpanId === root.item.spanId);
      assert.deepEqual(
        children.map((s) => s.item.name),
        ['detect', 'decide', 'wait', 'resume'],
        'children in the order they ended',
      );
      for (const child of children) assert.equal(child.item.traceId, root.item.traceId);
      const ms = (nanos: string): number => Number(BigInt(nanos) / 1_000_000n);
      const [detect, , wait, resume] = children;
      assert.ok(detect && wait && resume);
      assert.equal(detect.item.startTimeUnixNano, root.item.startTimeUnixNano);
      assert.equal(typeof detect.attributes['palingenesis.detection_latency_ms'], 'number');
      const waitedMs = ms(wait.item.endTimeUnixNano) - ms(wait.item.startTimeUnixNano);
      assert.ok(
        waitedMs >= 1500 && waitedMs < 15_000,
        `wait span ${waitedMs} ms for retry-after 2 s`,
      );
      assert.equal(wait.attributes['palingenesis.attempt'], 1);
      assert.match(String(wait.attributes['palingenesis.due_at']), /^\d{4}-\d\d-\d\dT/);
      assert.equal(resume.item.status.code, 1);
      assert.equal(resume.item.endTimeUnixNano, root.item.endTimeUnixNano);
      for (const span of [root, ...children]) {
        assert.ok(BigInt(span.item.endTimeUnixNano) >= BigInt(span.item.startTimeUnixNano));
      }
    });
  });
});
