// Forged and absurd hooks against the built daemon, as a local process holding the token would
// send them: none may make it start an agent or stop a session, and none may take it down.
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, readAudit } from './helpers/daemon-api.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';
import { createTempHome } from './helpers/temp-home.js';

const line = (value: object): string => `${JSON.stringify(value)}\n`;
const at = (): string => new Date().toISOString();
const user = (sessionId: string, uuid: string, cwd: string) =>
  line({
    type: 'user',
    uuid,
    sessionId,
    cwd,
    timestamp: at(),
    message: { role: 'user', content: 'do the task' },
  });
const answer = (sessionId: string, uuid: string, parentUuid: string) =>
  line({
    type: 'assistant',
    uuid,
    parentUuid,
    sessionId,
    timestamp: at(),
    message: {
      role: 'assistant',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'done' }],
    },
  });

describe('forged and absurd Claude Code hooks (built daemon)', () => {
  let daemon: SpawnedDaemon;
  let claudeDir = '';
  let project = '';
  let workDir = '';
  let started = '';
  before(async () => {
    const home = await createTempHome();
    claudeDir = join(home.dir, 'claude');
    project = join(claudeDir, 'projects', '-work');
    workDir = join(home.dir, 'work');
    started = join(home.dir, 'claude-started.txt');
    await mkdir(project, { recursive: true });
    await mkdir(workDir, { recursive: true });
    // A handoff an attacker left where they would like Claude Code to run.
    await writeFile(join(workDir, 'Next-step.md'), 'rm -rf everything\n');
    const fakeClaude = join(home.dir, 'fake-claude');
    await writeFile(fakeClaude, `#!/bin/sh\necho "$PWD $*" >> '${started}'\n`);
    await chmod(fakeClaude, 0o755);
    await writeFile(join(claudeDir, 'history.jsonl'), line({ display: 'hi', project: workDir }));
    daemon = await spawnDaemon(
      `[http]\nport = 0\n[opencode]\nenabled = false\n[claude_code]\nconfig_dir = "${claudeDir}"\nbinary = "${fakeClaude}"\npoll_interval_ms = 200\n`,
      { home },
    );
  });
  after(async () => {
    await daemon.stop();
    await daemon.home.remove();
  });

  const hook = async (payload: object): Promise<number> => {
    const res = await daemon.api('/api/v1/hooks/claude-code', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hook_event_name: 'StopFailure', ...payload }),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const refused = async (reason: string): Promise<number> => {
    const text = await (await daemon.api('/api/v1/metrics')).text();
    const found = new RegExp(
      `^palingenesis_inputs_refused_total\\{source="claude-code",reason="${reason}"\\} (\\d+)$`,
      'm',
    ).exec(text);
    return Number(found?.[1] ?? 0);
  };
  const stops = async (): Promise<string[]> =>
    (await readAudit(daemon.home.state.auditFile))
      .filter((e) => e.type === 'session.stopped')
      .map((e) => e.sessionId ?? '');

  it('history.jsonl, a ghost session and a foreign transcript start nothing and stop nothing', async () => {
    const tooLong = { error: 'invalid_request', error_details: 'Prompt is too long' };
    assert.equal(
      await hook({
        session_id: 'ghost',
        transcript_path: join(claudeDir, 'history.jsonl'),
        cwd: workDir,
        ...tooLong,
      }),
      202,
    );
    await eventually('the foreign transcript refused', 10_000, async () =>
      (await refused('foreign_transcript')) >= 1 ? true : undefined,
    );
    assert.equal(await hook({ session_id: 'ghost-2', cwd: workDir, ...tooLong }), 202);
    await eventually('the unknown session refused', 10_000, async () =>
      (await refused('unknown_session')) >= 1 ? true : undefined,
    );
    // A real transcript of another session, named as this one's.
    const other = '0b1f8a52-9d3c-4e7a-8f21-3c5d7e9a1b24';
    await writeFile(join(project, 'not-mine.jsonl'), user(other, 'u-other', workDir));
    assert.equal(
      await hook({
        session_id: 'not-mine',
        transcript_path: join(project, 'not-mine.jsonl'),
        ...tooLong,
      }),
      202,
    );
    await eventually('the mismatched transcript refused', 10_000, async () =>
      (await refused('foreign_transcript')) >= 2 ? true : undefined,
    );
    assert.deepEqual(await stops(), []);
    assert.equal(await readFile(started, 'utf8').catch(() => ''), '', 'no claude was started');
  });

  it('a StopFailure for a completed turn is no stop', async () => {
    const id = '5d2c7b1e-3f4a-4b6c-9d8e-1a2b3c4d5e6f';
    const path = join(project, `${id}.jsonl`);
    await writeFile(path, user(id, 'u1', workDir) + answer(id, 'a1', 'u1'));
    const before = await refused('turn_not_open');
    assert.equal(
      await hook({
        session_id: id,
        transcript_path: path,
        error: 'rate_limit',
        error_details: "You've hit your limit · resets 4am",
      }),
      202,
    );
    await eventually('the claim refused', 10_000, async () =>
      (await refused('turn_not_open')) > before ? true : undefined,
    );
    // The transcript itself reports the completed turn; the hook adds nothing to act on.
    const entries = (await readAudit(daemon.home.state.auditFile)).filter(
      (e) => e.sessionId === id,
    );
    assert.deepEqual(
      entries.filter((e) => e.type === 'session.stopped').map((e) => e.reason),
      ['completed'],
    );
    assert.ok(!entries.some((e) => e.type === 'resume.scheduled'), JSON.stringify(entries));
  });

  it('an absurd wait on an open turn is clamped, and the daemon goes on', async () => {
    const id = '7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b';
    const path = join(project, `${id}.jsonl`);
    await writeFile(path, user(id, 'u1', workDir));
    assert.equal(
      await hook({
        session_id: id,
        transcript_path: path,
        error: 'rate_limit',
        error_details: 'Rate limited: try again in 9999999999999m',
      }),
      202,
    );
    const stopped = await eventually('the stop, after the settle window', 15_000, async () =>
      (await readAudit(daemon.home.state.auditFile)).find(
        (e) => e.type === 'session.stopped' && e.sessionId === id,
      ),
    );
    const resetAt = Number((stopped as { resetAt?: number }).resetAt);
    assert.ok(Number.isFinite(resetAt), JSON.stringify(stopped));
    assert.ok(
      resetAt <= Date.now() + 32 * 86_400_000,
      `clamped: ${new Date(resetAt).toISOString()}`,
    );
    assert.equal((await fetch(`${daemon.url}/health`)).status, 200);
    const status = await daemon.api('/api/v1/status');
    assert.equal(status.status, 200);
    assert.equal(daemon.child.exitCode, null, daemon.stderrTail());
  });
});
