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
    const store = createStateStore('unused', EMPTY_STATE, gate.save);
    const first = store.update(bump);
    const burst = Array.from({ length: 1000 }, () => store.update(bump));
    assert.equal(store.get().totals.saves, 1001, 'changes apply at once');
    assert.equal(gate.pending(), 1, 'one write in flight');
    gate.release();
    assert.equal((await first).totals.saves, 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(gate.pending(), 1, 'the burst waits for one more write');
    gate.release();
    const results = await Promise.all(burst);
    assert.deepEqual(gate.written, [1, 1001]);
    assert.equal(store.writes(), 2);
    assert.equal(results.at(-1)?.totals.saves, 1001);
  });

  it('a failed write rejects its batch; the next change writes everything again', async () => {
    const gate = gatedSave();
    const store = createStateStore('unused', EMPTY_STATE, gate.save);
    gate.failNext();
    const lost = store.update(bump);
    gate.release();
    await assert.rejects(lost, /disk full/);
    const next = store.update(bump);
    gate.release();
    assert.equal((await next).totals.saves, 2);
    assert.deepEqual(gate.written, [2]);
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
