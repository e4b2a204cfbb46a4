import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { locateTranscript } from './transcript-location.js';

describe('where a hook’s transcript_path really is', () => {
  let root: string;
  let claude: string;
  let projects: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palingenesis-location-'));
    claude = join(root, 'claude');
    projects = join(claude, 'projects');
    await mkdir(join(projects, '-work-p', 's1', 'subagents'), { recursive: true });
    await mkdir(join(root, 'elsewhere'), { recursive: true });
    await mkdir(join(projects, '-work-p', 'dir.jsonl'));
    for (const file of [
      join(projects, '-work-p', 's1.jsonl'),
      join(projects, '-work-p', 's1', 'subagents', 'agent-1.jsonl'),
      join(projects, 'top.jsonl'),
      join(claude, 'history.jsonl'),
      join(root, 'elsewhere', 'evil.jsonl'),
      join(projects, '-work-p', 'notes.txt'),
    ]) {
      await writeFile(file, '{}\n');
    }
    await symlink(join(claude, 'history.jsonl'), join(projects, '-work-p', 'linked.jsonl'));
    await symlink(join(root, 'elsewhere'), join(projects, '-linked-dir'));
    await symlink(claude, join(root, 'claude-link'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a transcript at projects/<dir>/<file>.jsonl is one, spelled as the scan spells it', async () => {
    assert.deepEqual(await locateTranscript(projects, join(projects, '-work-p', 's1.jsonl')), {
      kind: 'transcript',
      path: join(projects, '-work-p', 's1.jsonl'),
    });
  });

  it('named through a symlinked Claude directory, it is still that transcript', async () => {
    const viaLink = join(root, 'claude-link', 'projects');
    const located = await locateTranscript(viaLink, join(projects, '-work-p', 's1.jsonl'));
    assert.deepEqual(located, { kind: 'transcript', path: join(viaLink, '-work-p', 's1.jsonl') });
  });

  const foreign: [string, (p: string, c: string, r: string) => string][] = [
    ['~/.claude/history.jsonl', (_p, c) => join(c, 'history.jsonl')],
    ['a file directly in projects/', (p) => join(p, 'top.jsonl')],
    [
      'a sub-agent transcript, one level deeper',
      (p) => join(p, '-work-p', 's1', 'subagents', 'agent-1.jsonl'),
    ],
    ['a link in projects/<dir>/ to history.jsonl', (p) => join(p, '-work-p', 'linked.jsonl')],
    ['a file in a project dir that links elsewhere', (p) => join(p, '-linked-dir', 'evil.jsonl')],
    ['a file outside Claude Code’s directory', (_p, _c, r) => join(r, 'elsewhere', 'evil.jsonl')],
    ['a directory named like a transcript', (p) => join(p, '-work-p', 'dir.jsonl')],
    ['a file that is not .jsonl', (p) => join(p, '-work-p', 'notes.txt')],
    ['a relative path', () => 'projects/-work-p/s1.jsonl'],
    ['a missing file outside projects/', (_p, _c, r) => join(r, 'nowhere', 'ghost.jsonl')],
    ['dot-dot out of projects/', (p) => join(p, '-work-p', '..', '..', 'history.jsonl')],
  ];
  for (const [name, claimed] of foreign) {
    it(`${name}: foreign`, async () => {
      const located = await locateTranscript(projects, claimed(projects, claude, root));
      assert.equal(located.kind, 'foreign', JSON.stringify(located));
    });
  }

  it('a missing file where a transcript would be: missing (a session never written)', async () => {
    const located = await locateTranscript(projects, join(projects, '-work-p', 'ghost.jsonl'));
    assert.equal(located.kind, 'missing');
  });
});
