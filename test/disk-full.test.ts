import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonSessions } from './helpers/daemon-api.js';
import { openSse, type SseConnection } from './helpers/sse.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';

const FIRST = '7d1c2b3a-0000-4000-8000-00000000d15c';
const SECOND = '7d1c2b3a-0000-4000-8000-00000000d15d';

/** A Claude Code transcript that stopped on a plan limit resetting in an hour. */
function limitedTranscript(sessionId: string): string {
  const at = new Date().toISOString();
  const resetsAt = Math.floor(Date.now() / 1000) + 3600;
  return [
    {
      type: 'user',
      uuid: `u-${sessionId}`,
      sessionId,
      cwd: '/work/p',
      timestamp: at,
      message: { role: 'user', content: 'Do the work.' },
    },
    {
      type: 'assistant',
      uuid: `e-${sessionId}`,
      sessionId,
      timestamp: at,
      isApiErrorMessage: true,
      error: 'rate_limit',
      apiErrorStatus: 429,
      apiErrorParams: { rate_limit_info: { status: 'rejected', resetsAt } },
      message: { role: 'assistant', content: [{ type: 'text', text: "You've hit your limit" }] },
    },
  ]
    .map((l) => `${JSON.stringify(l)}\n`)
    .join('');
}

/** Fills the file system holding `dir` to the last byte: writes until ENOSPC. */
async function fill(dir: string): Promise<string> {
  const path = join(dir, 'filler');
  const handle = await open(path, 'a');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOSPC')) throw error;
  } finally {
    await handle.close();
  }
  return path;
}

/** A small tmpfs at `dir`: a real file system that really fills up. Needs root (CI runs as root). */
function mountSmall(dir: string): string | undefined {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', dir]);
  return mounted.status === 0 ? undefined : `cannot mount a tmpfs: ${mounted.stderr.toString()}`;
}

const CONFIG = [
  '[http]',
  'port = 0',
  '[opencode]',
  'enabled = false',
  '[codex]',
  'enabled = false',
  '[claude_code]',
  'binary = "/nonexistent/claude"',
  'poll_interval_ms = 100',
].join('\n');

describe('a full disk under the state directory (real tmpfs, built daemon)', () => {
  let home: TempHome;
  let daemon: SpawnedDaemon;
  let events: SseConnection;
  let project: string;
  let skip: string | undefined;
  const auth = () => ({ authorization: `Bearer ${daemon.token}` });
  const seen = (type: string, from = 0) =>
    events.waitFor((m) => m.event === type || m.data.includes(`"type":"${type}"`), 60_000, from);

  before(async () => {
    home = await createTempHome();
    await mkdir(home.state.dir, { recursive: true });
    skip = process.getuid?.() === 0 ? mountSmall(home.state.dir) : 'not root: cannot mount';
    if (skip !== undefined) {
      if (process.env.CI === 'true') throw new Error(`${skip} (required under CI=true)`);
      return;
    }
    project = join(home.dir, '.claude', 'projects', '-work-p');
    await mkdir(project, { recursive: true });
    daemon = await spawnDaemon(CONFIG, { home });
    events = await openSse(`${daemon.url}/api/v1/events`, auth());
  });
  after(async () => {
    if (skip === undefined) {
      events.close();
      if (daemon.child.exitCode === null) await daemon.stop('SIGKILL');
      spawnSync('chattr', ['-i', home.state.stateFile]);
      spawnSync('umount', [home.state.dir]);
    }
    await home.remove();
  });

  it('announces nothing unsaved, says so on /health and on commands, saves once it can, and exits 1 when it cannot save', async (t) => {
    if (skip !== undefined) {
      t.skip(skip);
      return;
    }
    const filler = await fill(home.state.dir);
    await writeFile(join(project, `${FIRST}.jsonl`), limitedTranscript(FIRST));
    const failed = await seen('state.write_failed');
    assert.match(failed.data, /ENOSPC/);

    const health = await fetch(`${daemon.url}/health`);
    assert.equal(health.status, 503);
    const body = (await health.json()) as { status: string; problem: string };
    assert.equal(body.status, 'failing');
    assert.match(body.problem, /the state file cannot be written: ENOSPC/);
    assert.ok(
      !events.messages.some((m) => m.data.includes('"type":"resume.scheduled"')),
      'a resume was announced that is not on disk',
    );
    const shown = (await daemonSessions(daemon)).find((s) => s.id === FIRST);
    assert.notEqual(shown?.state, 'waiting', 'shown as waiting while nothing is saved');
    const pause = await daemon.api(`/api/v1/sessions/${FIRST}/pause`, { method: 'POST' });
    assert.equal(pause.status, 503, 'pause answered ok with nothing saved');
    const refused = (await pause.json()) as { error: { code: string; message: string } };
    assert.equal(refused.error.code, 'state_write_failed');

    await rm(filler);
    await seen('state.write_recovered');
    const scheduled = await seen('resume.scheduled');
    assert.match(scheduled.data, new RegExp(FIRST));
    assert.equal((await fetch(`${daemon.url}/health`)).status, 200);

    // A state file that cannot be replaced (immutable: EPERM, whatever space a stop frees), with
    // a stop held in memory only: a SIGTERM must not claim a clean exit.
    const mark = events.messages.length;
    assert.equal(spawnSync('chattr', ['+i', home.state.stateFile]).status, 0, 'chattr +i');
    await writeFile(join(project, `${SECOND}.jsonl`), limitedTranscript(SECOND));
    assert.match((await seen('state.write_failed', mark)).data, /EPERM/);
    const code = await daemon.stop('SIGTERM');
    assert.equal(code, 1, `exit ${String(code)}; stderr:\n${daemon.stderrTail()}`);
    assert.match(daemon.stderr(), /could not be saved to the state file/);
  });
});
