import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { delay } from '../../node-util.js';
import type { Observation } from '../adapter.js';
import { createCodexAdapter } from './adapter.js';

type Malformed = Extract<Observation, { kind: 'malformed' }>;
const THREAD = 'aaaaaaaa-0000-4000-8000-0000000000aa';

/** A real rollout file in a temp CODEX_HOME: lines that do not read are reported, with how many. */
describe('Codex adapter: malformed rollout lines', () => {
  it('not JSON, and JSON of no rollout shape: each read reports its count', async () => {
    const home = await mkdtemp(join(tmpdir(), 'palingenesis-codex-malformed-'));
    const day = join(home, 'sessions', '2026', '12', '03');
    await mkdir(day, { recursive: true });
    const rollout = join(day, `rollout-2026-12-03T07-31-35-${THREAD}.jsonl`);
    const meta = JSON.stringify({
      timestamp: new Date().toISOString(),
      type: 'session_meta',
      payload: {
        id: THREAD,
        cwd: '/work/project',
        originator: 'codex_exec',
        cli_version: '0.171.0',
      },
    });
    await writeFile(rollout, `${meta}\nReconnecting... 1/5\n[1,2,3]\n`);
    const seen: Observation[] = [];
    const errors: string[] = [];
    const stopping = new AbortController();
    const adapter = createCodexAdapter({
      codexHome: home,
      binary: 'codex-not-installed',
      execArgs: [],
      resumeMode: 'auto',
      pollMs: 20,
      env: {},
      now: () => Date.now(),
      sleep: delay,
      maxTrackedFiles: 10,
      onError: (kind) => errors.push(kind),
      onInfo: () => undefined,
      tmuxBinary: 'tmux',
      holds: (threads) => Promise.resolve(new Map(threads.map((t) => [t, { kind: 'unknown' }]))),
      live: () => Promise.resolve([]),
    });
    const watching = adapter.watch((o) => seen.push(o), stopping.signal);
    const malformed = (): Malformed[] => seen.filter((o): o is Malformed => o.kind === 'malformed');
    const until = async (what: string, fact: () => boolean): Promise<void> => {
      for (let i = 0; i < 500 && !fact(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(
        fact(),
        `timed out waiting for ${what}: ${JSON.stringify(seen.map((o) => o.kind))}`,
      );
    };
    try {
      await until('the first read', () => malformed().length === 1);
      assert.deepEqual(
        malformed().map((o) => [o.agent, o.unit, o.count]),
        [['codex', 'line', 2]],
      );
      await appendFile(rollout, 'still not json\n');
      await until('the next read', () => malformed().length === 2);
      assert.equal(malformed()[1]?.count, 1, 'lines already counted are not counted again');
      assert.deepEqual(errors, []);
    } finally {
      stopping.abort();
      await watching;
      await rm(home, { recursive: true, force: true });
    }
  });
});
