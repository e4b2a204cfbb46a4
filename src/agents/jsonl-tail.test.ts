import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createJsonlTail } from './jsonl-tail.js';

describe('JSON-lines tail (real files)', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palingenesis-tail-'));
    path = join(dir, 'session.jsonl');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns only new complete lines; a half-written line waits for its newline', async () => {
    const tail = createJsonlTail(path);
    assert.deepEqual(await tail.read(), { values: [], malformed: 0, restarted: false });
    await writeFile(path, '{"n":1}\n{"n":2}\n{"n":');
    assert.deepEqual((await tail.read()).values, [{ n: 1 }, { n: 2 }]);
    assert.deepEqual((await tail.read()).values, []);
    await appendFile(path, '3}\n');
    assert.deepEqual((await tail.read()).values, [{ n: 3 }]);
  });

  it('a multi-byte character split across writes is read whole', async () => {
    const tail = createJsonlTail(path);
    const line = Buffer.from('{"text":"resets 4am · ok ’"}\n');
    const cut = line.indexOf(Buffer.from('·')) + 1; // inside the two-byte "·"
    await writeFile(path, line.subarray(0, cut));
    assert.deepEqual((await tail.read()).values, []);
    await appendFile(path, line.subarray(cut));
    assert.deepEqual((await tail.read()).values, [{ text: 'resets 4am · ok ’' }]);
  });

  it('malformed lines are counted and skipped', async () => {
    const tail = createJsonlTail(path);
    await writeFile(path, '{"ok":1}\nnot json\n\n{"ok":2}\n');
    assert.deepEqual(await tail.read(), {
      values: [{ ok: 1 }, { ok: 2 }],
      malformed: 1,
      restarted: false,
    });
  });

  it('truncation and rotation restart from the beginning', async () => {
    const tail = createJsonlTail(path);
    await writeFile(path, '{"a":1}\n{"a":2}\n');
    await tail.read();
    await truncate(path, 0);
    await writeFile(path, '{"b":1}\n');
    assert.deepEqual(await tail.read(), { values: [{ b: 1 }], malformed: 0, restarted: true });
    await rename(path, `${path}.old`);
    await writeFile(path, '{"c":1}\n{"c":2}\n{"c":3}\n');
    assert.deepEqual(await tail.read(), {
      values: [{ c: 1 }, { c: 2 }, { c: 3 }],
      malformed: 0,
      restarted: true,
    });
  });

  it('fromEnd skips what the file held when watching began', async () => {
    await writeFile(path, '{"old":1}\n');
    const tail = createJsonlTail(path, { fromEnd: true });
    assert.deepEqual((await tail.read()).values, []);
    await appendFile(path, '{"new":1}\n');
    assert.deepEqual((await tail.read()).values, [{ new: 1 }]);
  });
});
