import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EMPTY_STATE, recordSave, type PersistedState } from '../core/jobs.js';
import { createStateStore } from './store.js';

/** A save the test releases by hand, recording what each write held. */
function gatedSave() {
  const written: number[] = [];
  const gates: (() => void)[] = [];
  let fail = false;
  return {
    written,
    release: () => gates.shift()?.(),
    pending: () => gates.length,
    failNext: () => {
      fail = true;
    },
    save: async (_path: string, state: PersistedState): Promise<void> => {
      await new Promise<void>((resolve) => gates.push(resolve));
      if (fail) {
        fail = false;
        throw new Error('disk full');
      }
      written.push(state.totals.saves);
    },
  };
}

const bump = (s: PersistedState): PersistedState => recordSave(s, 1);

describe('createStateStore', () => {
  it('a burst of changes shares writes, and each resolves once a write holding it is done', async () => {
    const gate = gatedSave();
    const store = createStateStore('unused', EMPTY_STATE, { save: gate.save });
    const first = store.update(bump);
    const burst = Array.from({ length: 1000 }, () => store.update(bump));
    assert.equal(store.get().totals.saves, 1001, 'changes apply at once');
    assert.equal(gate.pending(), 1, 'one write in flight');
    gate.release();
    assert.deepEqual(await first, { ok: true });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(gate.pending(), 1, 'the burst waits for one more write');
    gate.release();
    const results = await Promise.all(burst);
    assert.deepEqual(gate.written, [1, 1001]);
    assert.equal(store.writes(), 2);
    assert.ok(results.every((r) => r.ok));
  });

  it('a failed write takes its batch back, keeps the changes made since, and is reported', async () => {
    const gate = gatedSave();
    const failures: unknown[] = [];
    let recovered = 0;
    const store = createStateStore('unused', EMPTY_STATE, {
      save: gate.save,
      now: () => 42,
      onWriteFailed: (error) => failures.push(error),
      onRecovered: () => recovered++,
    });
    gate.failNext();
    const lost = store.update(bump);
    const later = store.update(bump); // waits for the next write
    assert.equal(store.get().totals.saves, 2);
    gate.release();
    const result = await lost;
    assert.ok(!result.ok);
    assert.match(String(result.error), /disk full/);
    assert.equal(store.get().totals.saves, 1, 'the failed change is gone; the later one stays');
    assert.deepEqual(store.health(), { ok: false, since: 42, problem: 'disk full' });
    assert.equal(failures.length, 1);
    await new Promise((resolve) => setImmediate(resolve));
    gate.release();
    assert.deepEqual(await later, { ok: true });
    assert.deepEqual(gate.written, [1], 'the write after the failure holds only the later change');
    assert.deepEqual(store.health(), { ok: true });
    assert.equal(recovered, 1);
  });

  it('idle() waits for the writes in flight and queued', async () => {
    const gate = gatedSave();
    const store = createStateStore('unused', EMPTY_STATE, { save: gate.save });
    let idle = false;
    void store.update(bump);
    void store.update(bump);
    const waiting = store.idle().then(() => (idle = true));
    gate.release();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(idle, false, 'the second write is still queued');
    gate.release();
    await waiting;
    assert.equal(idle, true);
    assert.deepEqual(gate.written, [1, 2]);
    await store.idle(); // nothing in flight: at once
  });

  it('settled() answers at once when nothing is pending, else with the write holding every change', async () => {
    const gate = gatedSave();
    const store = createStateStore('unused', EMPTY_STATE, { save: gate.save });
    assert.deepEqual(await store.settled(), { ok: true });
    void store.update(bump); // in flight
    void store.update(bump); // queued
    const settled = store.settled();
    gate.release();
    await new Promise((resolve) => setImmediate(resolve));
    gate.failNext();
    gate.release();
    assert.equal((await settled).ok, false, 'the write holding the newest change failed');
    assert.deepEqual(gate.written, [1]);
    assert.deepEqual(await store.settled(), { ok: true }, 'memory is back to what is on disk');
  });

  it('writes the real file atomically with the newest state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-store-'));
    try {
      const path = join(dir, 'state.json');
      const store = createStateStore(path, EMPTY_STATE);
      await Promise.all(Array.from({ length: 50 }, () => store.update(bump)));
      const saved = JSON.parse(await readFile(path, 'utf8')) as PersistedState;
      assert.equal(saved.totals.saves, 50);
      assert.ok(store.writes() < 50, `coalesced: ${String(store.writes())} writes`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
