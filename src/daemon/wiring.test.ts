import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { defaultConfig } from '../config/schema.js';
import { systemClock } from '../jobs/clock.js';
import { agentDeps } from './wiring.js';

describe('agent deps: a failure an agent catches', () => {
  it('is logged with the agent and its kind, and counted as that fixed kind', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const counted: [string, string][] = [];
    const deps = agentDeps('codex', defaultConfig(), {
      clock: systemClock,
      log: pino({ level: 'warn' }, sink),
      env: {},
      stateDir: '/nonexistent',
      tracked: () => [],
      onRefused: () => undefined,
      onError: (agent, kind) => counted.push([agent, kind]),
      onProcess: () => undefined,
    });
    deps.onError('scan', new Error('EACCES: permission denied, scandir'));
    assert.deepEqual(counted, [['codex', 'scan']]);
    assert.equal(lines.length, 1);
    const [logged] = lines;
    assert.ok(logged);
    assert.equal(logged['agent'], 'codex');
    assert.equal(logged['kind'], 'scan');
    assert.equal(logged['msg'], 'agent adapter error');
  });
});
