// A hook the daemon answered 202 is on disk: a daemon killed inside the StopFailure settle window
// (before it judged the stop) hands the stop on after its restart, from its hook inbox.
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, readAudit } from './helpers/daemon-api.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';

const SESSION = '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';
const line = (value: object): string => `${JSON.stringify(value)}\n`;

describe('hook inbox (built daemon): accepted means persisted', () => {
  let home: TempHome;
  let daemon: SpawnedDaemon | undefined;
  let transcript = '';
  let config = '';
  before(async () => {
    home = await createTempHome();
    const claudeDir = join(home.dir, 'claude');
    const project = join(claudeDir, 'projects', '-work');
    const workDir = join(home.dir, 'work');
    await mkdir(project, { recursive: true });
    await mkdir(workDir, { recursive: true });
    // A turn left unanswered: only the hook says how it ended (its error line is never written).
    transcript = join(project, `${SESSION}.jsonl`);
    await writeFile(
      transcript,
      line({
        type: 'user',
        uuid: 'u1',
        sessionId: SESSION,
        cwd: workDir,
        timestamp: new Date().toISOString(),
        message: { role: 'user', content: 'do the task' },
      }),
    );
    // Nothing may run for real: the resume is due at the reset, hours away.
    const fakeClaude = join(home.dir, 'fake-claude');
    await writeFile(fakeClaude, '#!/bin/sh\nexit 0\n');
    await chmod(fakeClaude, 0o755);
    config =
      `[http]\nport = 0\n[opencode]\nenabled = false\n[codex]\nenabled = false\n` +
      `[claude_code]\nconfig_dir = "${claudeDir}"\nbinary = "${fakeClaude}"\npoll_interval_ms = 200\n`;
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    await home.remove();
  });

  const inboxDir = (): string => join(home.state.dir, 'hooks-inbox', 'claude-code');
  const inboxFiles = async (): Promise<string[]> =>
    (await readdir(inboxDir()).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  const stopsOf = async (): Promise<{ reason?: string | undefined }[]> =>
    (await readAudit(home.state.auditFile).catch(() => [])).filter(
      (e) => e.type === 'session.stopped' && e.sessionId === SESSION,
    );

  it('a StopFailure whose daemon is killed -9 in its settle window is handled after the restart', async () => {
    const first = await spawnDaemon(config, { home });
    daemon = first;
    const res = await first.api('/api/v1/hooks/claude-code', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        hook_event_name: 'StopFailure',
        session_id: SESSION,
        transcript_path: transcript,
        error: 'rate_limit',
        error_details: "You've hit your limit · resets 4am",
      }),
    });
    assert.equal(res.status, 202, await res.text());
    // Killed before the 2 s settle window ended: nothing was judged, only the inbox holds it.
    await first.stop('SIGKILL');
    assert.deepEqual(await stopsOf(), [], 'the first daemon judged the stop before it died');
    const left = await inboxFiles();
    assert.equal(left.length, 1, `inbox: ${left.join(', ')}`);
    assert.equal((await stat(inboxDir())).mode & 0o777, 0o700);
    assert.equal((await stat(join(inboxDir(), left[0] ?? ''))).mode & 0o777, 0o600);

    const second = await spawnDaemon(config, { home });
    daemon = second;
    const stops = await eventually(
      'the stop, from the inbox, after the restart',
      20_000,
      async () => {
        const found = await stopsOf();
        return found.length > 0 ? found : undefined;
      },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nstderr:\n${second.stderrTail()}`);
    });
    assert.deepEqual(
      stops.map((s) => s.reason),
      ['rate_limit'],
    );
    // Once judged and handed on, the copy goes.
    await eventually('the inbox emptied', 10_000, async () =>
      (await inboxFiles()).length === 0 ? true : undefined,
    );
    assert.equal(await second.stop(), 0, second.stderrTail());
    assert.equal((await stopsOf()).length, 1, 'the stop was handled twice');
  });
});
