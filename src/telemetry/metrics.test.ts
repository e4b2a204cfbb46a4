import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { register as globalRegistry } from 'prom-client';
import { parseExposition, sampleOf } from '../../test/helpers/exposition.js';
import { DAEMON_STATES, type DaemonState } from '../core/daemon-state.js';
import { EXPOSITION_CONTENT_TYPE, createMetrics, type MetricsDeps } from './metrics.js';

function deps(overrides: Partial<MetricsDeps> = {}): MetricsDeps {
  return {
    version: '1.2.3',
    commit: 'abc1234',
    uptimeSeconds: () => 12.5,
    daemonState: () => 'monitoring',
    resume: {
      agents: ['opencode', 'claude-code'],
      lifetime: { saves: 0, timeSavedSeconds: 0 },
      snapshot: () => ({ activeSessions: { opencode: 0, 'claude-code': 0 }, retryAttempts: 0 }),
    },
    ...overrides,
  };
}

const STORY_FAMILIES = [
  'palingenesis_info',
  'palingenesis_daemon_state',
  'palingenesis_uptime_seconds',
  'palingenesis_build_info',
];

describe('metrics registry', () => {
  it('registers the four story metrics as gauges with HELP, on its own registry', async () => {
    const metrics = createMetrics(deps());
    try {
      const families = parseExposition(await metrics.render());
      for (const name of STORY_FAMILIES) {
        const family = families.get(name);
        assert.ok(family, `${name} missing`);
        assert.equal(family.type, 'GAUGE', name);
        assert.ok(family.help.length > 10, `${name} has no useful HELP`);
      }
      assert.equal(metrics.contentType, EXPOSITION_CONTENT_TYPE);
      assert.equal(metrics.contentType, 'text/plain; version=0.0.4; charset=utf-8');
      // Nothing leaks into prom-client's global registry.
      assert.deepEqual(await globalRegistry.getMetricsAsJSON(), []);
    } finally {
      metrics.close();
    }
  });

  it('two daemons in one process keep separate registries', async () => {
    const a = createMetrics(deps({ daemonState: () => 'paused' }));
    const b = createMetrics(deps({ daemonState: () => 'waiting' }));
    try {
      const stateA = sampleOf(parseExposition(await a.render()), 'palingenesis_daemon_state');
      const stateB = sampleOf(parseExposition(await b.render()), 'palingenesis_daemon_state');
      assert.deepEqual([stateA.value, stateB.value], [2, 3]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('every family name is prefixed and typed; own families all start with palingenesis_', async () => {
    const metrics = createMetrics(deps());
    try {
      const families = parseExposition(await metrics.render());
      for (const [name, family] of families) {
        assert.match(name, /^(palingenesis|process|nodejs)_[a-z0-9_]+$/, name);
        assert.ok(
          ['GAUGE', 'COUNTER', 'HISTOGRAM'].includes(family.type),
          `${name}: ${family.type}`,
        );
        if (family.type === 'GAUGE') assert.doesNotMatch(name, /_total$/, `gauge ${name}`);
        if (family.type === 'COUNTER') assert.match(name, /_total$/, `counter ${name}`);
      }
    } finally {
      metrics.close();
    }
  });
});

describe('encoding', () => {
  it('renders the story example lines exactly', async () => {
    const metrics = createMetrics(deps());
    try {
      const body = await metrics.render();
      for (const line of [
        '# TYPE palingenesis_info gauge',
        'palingenesis_info{version="1.2.3"} 1',
        '# TYPE palingenesis_daemon_state gauge',
        'palingenesis_daemon_state 1',
        '# TYPE palingenesis_uptime_seconds gauge',
        'palingenesis_uptime_seconds 12.5',
        '# TYPE palingenesis_build_info gauge',
        'palingenesis_build_info{version="1.2.3",commit="abc1234"} 1',
        '# HELP palingenesis_daemon_state Current state of the daemon (1=monitoring, 2=paused, 3=waiting, 4=resuming).',
      ]) {
        assert.ok(body.split('\n').includes(line), `missing line: ${line}`);
      }
      assert.ok(body.endsWith('\n'));
    } finally {
      metrics.close();
    }
  });

  it('escapes label values per the text format', async () => {
    const metrics = createMetrics(deps({ version: 'a"b\\c\nd' }));
    try {
      assert.ok((await metrics.render()).includes('palingenesis_info{version="a\\"b\\\\c\\nd"} 1'));
    } finally {
      metrics.close();
    }
  });

  it('uptime is read at scrape time, not at registration', async () => {
    let uptime = 1.25;
    const metrics = createMetrics(deps({ uptimeSeconds: () => uptime }));
    try {
      const first = sampleOf(
        parseExposition(await metrics.render()),
        'palingenesis_uptime_seconds',
      );
      uptime = 3600.5;
      const second = sampleOf(
        parseExposition(await metrics.render()),
        'palingenesis_uptime_seconds',
      );
      assert.deepEqual([first.value, second.value], [1.25, 3600.5]);
    } finally {
      metrics.close();
    }
  });
});

describe('state gauge', () => {
  for (const [state, code] of DAEMON_STATES.map((s, i) => [s, i + 1] as const)) {
    it(`${state} -> ${code}`, async () => {
      let current: DaemonState = 'monitoring';
      const metrics = createMetrics(deps({ daemonState: () => current }));
      try {
        current = state;
        const sample = sampleOf(
          parseExposition(await metrics.render()),
          'palingenesis_daemon_state',
        );
        assert.equal(sample.value, code);
      } finally {
        metrics.close();
      }
    });
  }
});

describe('event-driven families', () => {
  it('are rendered again after an event, so a scrape never shows stale counters', async () => {
    const metrics = createMetrics(deps());
    try {
      const count = async (): Promise<number> =>
        sampleOf(parseExposition(await metrics.render()), 'palingenesis_saves_total').value;
      assert.equal(await count(), 0);
      metrics.record({
        type: 'session.resumed',
        at: 0,
        agent: 'opencode',
        sessionId: 's',
        action: 'resume_same',
        attempt: 1,
        waitedMs: 1000,
        durationMs: 10,
        savedSeconds: 301,
      });
      assert.equal(await count(), 1);
      assert.equal(await count(), 1);
    } finally {
      metrics.close();
    }
  });
});

describe('runtime metrics', () => {
  it('exports process and Node.js families with plausible values', async () => {
    const metrics = createMetrics(deps());
    try {
      const families = parseExposition(await metrics.render());
      assert.ok(sampleOf(families, 'process_resident_memory_bytes').value > 1_000_000);
      assert.ok(sampleOf(families, 'nodejs_heap_size_used_bytes').value > 100_000);
      assert.ok(sampleOf(families, 'process_cpu_seconds_total').value > 0);
      const start = sampleOf(families, 'process_start_time_seconds').value;
      assert.ok(Math.abs(start - (Date.now() / 1000 - process.uptime())) < 2);
      assert.equal(sampleOf(families, 'nodejs_version_info').labels['version'], process.version);
      if (process.platform === 'linux') {
        assert.ok(sampleOf(families, 'process_open_fds').value > 2);
      }
    } finally {
      metrics.close();
    }
  });

  it('close() clears the registries and is idempotent', async () => {
    const metrics = createMetrics(deps());
    metrics.close();
    metrics.close();
    assert.equal((await metrics.render()).trim(), '');
  });
});
