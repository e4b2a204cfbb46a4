import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daemonEventSchema, type DaemonEvent, type EventOf } from '../core/events.js';
import { capEventText, capText, utf8Prefix } from './cap-text.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

function stopped(text: string): DaemonEvent {
  return {
    type: 'session.stopped',
    at: T0,
    agent: 'claude-code',
    sessionId: 'ses_1',
    reason: 'rate_limit',
    detail: text,
    evidence: {
      agent: 'claude-code',
      lastAssistant: { completed: true, error: { name: 'ClaudeCode:rate_limit', message: text } },
      notes: ['short', text],
    },
  };
}

describe('capText', () => {
  const cases: { name: string; text: string; maxBytes: number }[] = [
    { name: 'ASCII', text: 'x'.repeat(61_440), maxBytes: 256 },
    { name: 'two-byte letters', text: 'é'.repeat(5000), maxBytes: 301 },
    { name: 'three-byte letters', text: '日本語'.repeat(2000), maxBytes: 257 },
    { name: 'surrogate pairs (emoji)', text: '😀'.repeat(3000), maxBytes: 258 },
    { name: 'mixed', text: 'a😀é日'.repeat(1000), maxBytes: 300 },
  ];
  for (const { name, text, maxBytes } of cases) {
    it(`${name}: at most maxBytes, a prefix of the original, whole characters, with the marker`, () => {
      const cut = capText(text, maxBytes);
      assert.ok(bytes(cut) <= maxBytes, `${bytes(cut)} > ${maxBytes}`);
      const marker = `… [cut: ${bytes(text)} bytes in all]`;
      assert.ok(cut.endsWith(marker), cut.slice(-60));
      const kept = cut.slice(0, -marker.length);
      assert.ok(text.startsWith(kept));
      assert.ok(kept.length > 0);
      assert.doesNotMatch(kept, /\uFFFD/, 'no character was split');
      assert.ok(bytes(kept) > maxBytes - bytes(marker) - 4, 'as much kept as fits');
    });
  }

  it('leaves text that fits exactly alone, and is idempotent', () => {
    const fits = 'é'.repeat(128);
    assert.equal(capText(fits, 256), fits);
    const once = capText('y'.repeat(10_000), 256);
    assert.equal(capText(once, 256), once);
  });

  it('utf8Prefix never splits a character', () => {
    assert.equal(utf8Prefix('a😀b', 1), 'a');
    assert.equal(utf8Prefix('a😀b', 4), 'a');
    assert.equal(utf8Prefix('a😀b', 5), 'a😀');
    assert.equal(utf8Prefix('éé', 3), 'é');
    assert.equal(utf8Prefix('日本', 5), '日');
    assert.equal(utf8Prefix('abc', 0), '');
  });
});

describe('capEventText', () => {
  it('cuts every long string, however nested, and the event still matches its schema', () => {
    const long = 'rate limited '.repeat(5000);
    const capped = capEventText(stopped(long), 4096);
    const json = JSON.stringify(capped);
    assert.ok(bytes(json) < 4 * 4096, `${bytes(json)} bytes`);
    assert.equal((json.match(/\[cut: 65000 bytes in all\]/g) ?? []).length, 3);
    assert.equal(daemonEventSchema.safeParse(capped).success, true);
    assert.equal(capped.type === 'session.stopped' && capped.sessionId, 'ses_1');
    assert.match(json, /"short"/);
  });

  it('does not touch the original event', () => {
    const event = stopped('z'.repeat(10_000));
    const before = JSON.stringify(event);
    capEventText(event, 256);
    assert.equal(JSON.stringify(event), before);
  });

  it('returns the same object when nothing is long', () => {
    const event = stopped('429 Too Many Requests');
    assert.equal(capEventText(event, 256), event);
    const reloaded: DaemonEvent = {
      type: 'config.reloaded',
      at: T0,
      trigger: 'api',
      applied: ['limits.max_body_bytes'],
      needsRestart: [],
    };
    assert.equal(capEventText(reloaded, 256), reloaded);
  });

  it('cuts strings in arrays (config problems) and keeps the others as they were', () => {
    const rejected: EventOf<'config.rejected'> = {
      type: 'config.rejected',
      at: T0,
      trigger: 'file',
      problems: ['bad key', 'q'.repeat(1000)],
    };
    const capped = capEventText(rejected, 256);
    assert.equal(capped.problems[0], 'bad key');
    assert.ok(bytes(capped.problems[1] ?? '') <= 256);
    assert.match(capped.problems[1] ?? '', /\[cut: 1000 bytes in all\]$/);
    assert.equal(daemonEventSchema.safeParse(capped).success, true);
  });
});
