import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { delay } from '../../node-util.js';
import type { Observation } from '../adapter.js';
import { createClaudeAdapter } from './adapter.js';

type Malformed = Extract<Observation, { kind: 'malformed' }>;

/** Real files in a temp Claude directory: unreadable input is reported (the daemon counts it). */
describe('Claude Code adapter: input it cannot read', () => {
  it('reports each read’s unreadable lines, and a bad session file once while it stays bad', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-claude-malformed-'));
    const stopping = new AbortController();
    const seen: Observation[] = [];
    const errors: string[] = [];
    const transcript = join(dir, 'projects', '-work-p', 's1.jsonl');
    await mkdir(join(dir, 'projects', '-work-p'), { recursive: true });
    await mkdir(join(dir, 'sessions'), { recursive: true });
    const prompt = JSON.stringify({
      type: 'user',
      uuid: 'u1',
      sessionId: 's1',
      cwd: '/work/p',
      timestamp: new Date().toISOString(),
      message: { role: 'user', content: 'Do the thing' },
    });
    await writeFile(transcript, `${prompt}\n{"type": "assistant", cut\nnot json either\n`);
    await writeFile(join(dir, 'sessions', '4242.json'), '{"pid": 4242, "sessionId"');
    const adapter = createClaudeAdapter({
      claudeDir: dir,
      binary: 'claude-not-installed',
      tmuxBinary: 'tmux',
      resumeMode: 'auto',
      pollMs: 20,
      env: {},
      now: () => Date.now(),
      sleep: delay,
      onError: (kind) => errors.push(kind),
      onInfo: () => undefined,
    });
    const watching = adapter.watch((o) => seen.push(o), stopping.signal);
    const malformed = (unit: Malformed['unit']): Malformed[] =>
      seen.filter((o): o is Malformed => o.kind === 'malformed' && o.unit === unit);
    const until = async (what: string, fact: () => boolean): Promise<void> => {
      for (let i = 0; i < 500 && !fact(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(
        fact(),
        `timed out waiting for ${what}: ${JSON.stringify(seen.map((o) => o.kind))}`,
      );
    };
    try {
      await until('the transcript’s bad lines', () => malformed('line').length === 1);
      assert.equal(malformed('line')[0]?.count, 2, 'two lines skipped by one read');
      await until('the bad session file', () => malformed('file').length === 1);
      assert.equal(malformed('file')[0]?.count, 1);
      // Two more reads of the transcript: each is a whole poll later, live sessions included.
      for (const n of [2, 3]) {
        await appendFile(transcript, 'garbage\n');
        await until(`bad line ${n}`, () => malformed('line').length === n);
      }
      assert.equal(malformed('file').length, 1, 'the same bad file is not reported every poll');
      assert.deepEqual(errors, []);
    } finally {
      stopping.abort();
      await watching;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a transcript that cannot be read for a resume’s directory is counted, not taken for none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-claude-unreadable-'));
    const stopping = new AbortController();
    const errors: string[] = [];
    const seen: Observation[] = [];
    const transcript = join(dir, 'projects', '-work-p', 's2.jsonl');
    await mkdir(join(dir, 'projects', '-work-p'), { recursive: true });
    // No line says where the session runs: only the whole file could.
    const line = {
      type: 'user',
      uuid: 'u1',
      sessionId: 's2',
      message: { role: 'user', content: 'x' },
    };
    await writeFile(transcript, `${JSON.stringify(line)}\n`);
    const adapter = createClaudeAdapter({
      claudeDir: dir,
      binary: 'claude-not-installed',
      tmuxBinary: 'tmux',
      resumeMode: 'auto',
      pollMs: 20,
      env: {},
      now: () => Date.now(),
      sleep: delay,
      onError: (kind) => errors.push(kind),
      onInfo: () => undefined,
    });
    const watching = adapter.watch((o) => seen.push(o), stopping.signal);
    try {
      for (let i = 0; i < 500 && !seen.some((o) => o.kind === 'discovered'); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(
        seen.some((o) => o.kind === 'discovered'),
        'the transcript is followed',
      );
      // Where the file was, something that cannot be read as one (EISDIR, even for root).
      await rm(transcript);
      await mkdir(transcript);
      await assert.rejects(adapter.sendPrompt({ agent: 'claude-code', sessionId: 's2' }, 'go on'));
      assert.ok(errors.includes('transcript_read'), JSON.stringify(errors));
    } finally {
      stopping.abort();
      await watching;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
