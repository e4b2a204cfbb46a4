import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import type { HookFate, HookReceipt } from '../agents/definition.js';
import { writeSpoolEntry } from '../hooks/spool.js';
import { createHookDelivery, type HookDelivery } from './hook-delivery.js';

const AGENT = 'claude-code';
const T0 = Date.parse('2026-11-27T10:00:00Z');

interface Taken {
  readonly payload: unknown;
  /** Whether the inbox held the payload when the agent was handed it. */
  readonly persisted: boolean;
  readonly finish: (fate: HookFate) => void;
}

describe('hook delivery: accepted means persisted', () => {
  let stateDir = '';
  let inbox = '';
  let taken: Taken[] = [];
  let errors: string[] = [];
  let refused: string[] = [];
  let refuse: string | undefined;

  const files = async (dir = inbox): Promise<string[]> =>
    (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const acceptHook = (payload: unknown): HookReceipt => {
    if (refuse !== undefined) return { taken: false, why: refuse };
    let finish: (fate: HookFate) => void = () => undefined;
    const done = new Promise<HookFate>((resolve) => {
      finish = resolve;
    });
    const persisted = existsSync(inbox) && readdirHolds(inbox, payload);
    taken.push({ payload, persisted, finish });
    return { taken: true, done };
  };
  /** What the engine answers to each "is it saved?", in order; empty: yes. */
  let saved: boolean[] = [];
  const delivery = (maxBytes = 1024 * 1024): HookDelivery =>
    createHookDelivery({
      persisted: () => Promise.resolve(saved.shift() ?? true),
      stateDir,
      maxBytes,
      agents: new Map([
        [AGENT, { acceptHook }],
        ['opencode', {}],
      ]),
      log: pino({ level: 'silent' }),
      onError: (kind) => errors.push(kind),
      onRefused: (agent, reason) => refused.push(`${agent} ${reason}`),
      now: () => T0,
    });
  /** Bounded wait for a fact on disk (the copy goes after the agent's answer, off the caller). */
  const until = async (what: string, fact: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (await fact()) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.fail(`never: ${what}`);
  };

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'palingenesis-delivery-'));
    inbox = join(stateDir, 'hooks-inbox', AGENT);
    taken = [];
    errors = [];
    refused = [];
    refuse = undefined;
    saved = [];
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('on disk before the agent has it; deleted once handled, kept when interrupted', async () => {
    const d = delivery();
    assert.deepEqual(await d.accept(AGENT, { n: 1 }), { kind: 'accepted' });
    assert.deepEqual(await d.accept(AGENT, { n: 2 }), { kind: 'accepted' });
    assert.deepEqual(
      taken.map((t) => [t.payload, t.persisted]),
      [
        [{ n: 1 }, true],
        [{ n: 2 }, true],
      ],
    );
    assert.equal((await files()).length, 2);
    taken[0]?.finish('handled');
    taken[1]?.finish('interrupted');
    await until('the handled one deleted', async () => (await files()).length === 1);
    const [left] = await files();
    assert.equal(await readFile(join(inbox, left ?? ''), 'utf8'), '{"n":2}');
    assert.deepEqual(errors, []);
  });

  it('handled, but the stop it carried is not saved (a failing disk): the copy stays for the next start', async () => {
    saved = [false, true];
    const d = delivery();
    await d.accept(AGENT, { n: 1 });
    await d.accept(AGENT, { n: 2 });
    taken[0]?.finish('handled');
    await until('the first answer used', () => Promise.resolve(saved.length === 1));
    taken[1]?.finish('handled');
    await until('the saved one deleted', async () => (await files()).length === 1);
    const [left] = await files();
    assert.equal(await readFile(join(inbox, left ?? ''), 'utf8'), '{"n":1}');
  });

  it('a payload that cannot be stored is not accepted: unavailable, logged and counted', async () => {
    await mkdir(join(stateDir, 'hooks-inbox'), { recursive: true });
    await writeFile(inbox, 'a file where the directory should be');
    assert.equal((await delivery().accept(AGENT, { n: 1 })).kind, 'unavailable');
    assert.deepEqual(taken, [], 'the agent never had it');
    assert.deepEqual(errors, ['hook_inbox_write']);
  });

  it('a full inbox answers busy (counted) until a hook is handled; larger than it: too_large', async () => {
    const d = delivery(64);
    const pad = (n: number) => ({ pad: 'x'.repeat(n) });
    assert.equal((await d.accept(AGENT, pad(40))).kind, 'accepted');
    const full = await d.accept(AGENT, pad(20));
    assert.equal(full.kind, 'busy');
    assert.equal(full.retryAfterSeconds, 2);
    assert.equal((await d.accept(AGENT, pad(100))).kind, 'too_large');
    assert.deepEqual(refused, [`${AGENT} inbox_full`, `${AGENT} too_large`]);
    taken[0]?.finish('handled');
    await until('room again', async () => (await d.accept(AGENT, pad(20))).kind === 'accepted');
  });

  it('not taken by the agent (its queue is full): busy, and no copy is kept', async () => {
    refuse = '1000 hook payloads already waiting';
    const answer = await delivery().accept(AGENT, { n: 1 });
    assert.equal(answer.kind, 'busy');
    assert.match(answer.message, /1000 hook payloads/);
    assert.deepEqual(await files(), []);
  });

  it('an agent without a hook intake, or not enabled: acknowledged and dropped, nothing kept', async () => {
    const d = delivery();
    assert.deepEqual(await d.accept('opencode', { n: 1 }), { kind: 'disabled' });
    assert.deepEqual(await d.accept('codex', { n: 1 }), { kind: 'disabled' });
    assert.equal(existsSync(join(stateDir, 'hooks-inbox')), false);
  });

  it('at start: what a dead daemon left (oldest first), then the spool, each via the inbox', async () => {
    const before = delivery();
    for (const n of [1, 2]) await before.accept(AGENT, { n });
    // A file the disk mangled: moved aside, counted, never deleted.
    await writeFile(join(inbox, '0000000000000-00000001-deadbeef.json'), '{"n":');
    const spool = join(stateDir, 'spool', AGENT);
    await writeSpoolEntry(spool, '{"n":3}');
    await writeSpoolEntry(spool, '[1]');
    // Not JSON at all (the forwarder spools what the agent wrote): kept aside, and counted too.
    await writeSpoolEntry(spool, 'not json');
    taken = [];
    const after = delivery();
    await after.replay(new AbortController().signal);
    assert.deepEqual(
      taken.map((t) => [t.payload, t.persisted]),
      [
        [{ n: 1 }, true],
        [{ n: 2 }, true],
        [{ n: 3 }, true],
      ],
    );
    assert.deepEqual(errors, ['hook_inbox_corrupt']);
    assert.deepEqual(refused, [`${AGENT} bad_payload`, `${AGENT} bad_payload`]);
    assert.equal((await readdir(join(spool, 'malformed'))).length, 1);
    assert.ok((await readdir(inbox)).includes('0000000000000-00000001-deadbeef.corrupt'));
    assert.deepEqual(await files(spool), [], 'each spool file went once its copy was on disk');
    assert.equal((await files()).length, 3);
    for (const t of taken) t.finish('handled');
    await until('all handled', async () => (await files()).length === 0);
  });
});

/** Whether a file in `dir` holds exactly this payload (synchronous: acceptHook answers at once). */
function readdirHolds(dir: string, payload: unknown): boolean {
  const text = JSON.stringify(payload);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .some((n) => readFileSync(join(dir, n), 'utf8') === text);
}
