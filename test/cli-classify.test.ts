import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './helpers/run-cli.js';
import { CLI_PATH } from './helpers/spawn-daemon.js';
import { createTempHome } from './helpers/temp-home.js';

async function classifyStdin(args: string[], input: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI_PATH, 'classify', ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

describe('palingenesis classify (built CLI)', () => {
  it('reads stdin and answers reproducibly with --now and --tz', async () => {
    const home = await createTempHome();
    try {
      const run = await classifyStdin(
        ['--now', '2026-11-27T22:00:00Z', '--tz', 'Asia/Tokyo'],
        "You've hit your limit · resets 8am",
        home.env,
      );
      assert.equal(run.code, 0, run.err);
      const verdict = JSON.parse(run.out) as Record<string, unknown>;
      assert.deepEqual(
        { ...verdict, evidence: typeof verdict['evidence'] },
        {
          reason: 'rate_limit',
          resetAt: '2026-11-27T23:00:00.000Z',
          waitSeconds: 3600,
          source: 'text:clock-time',
          evidence: 'string',
        },
      );
      assert.match(String(verdict['evidence']), /8am/);
    } finally {
      await home.remove();
    }
  });

  it('a recorded Claude Code transcript: resetsAt wins; --agent opencode does not read Claude records', async () => {
    const home = await createTempHome();
    try {
      const fixture = JSON.parse(
        await readFile(new URL('./fixtures/claude-code/plan-limit.json', import.meta.url), 'utf8'),
      ) as { transcript: unknown[] };
      const transcript = fixture.transcript.map((l) => JSON.stringify(l)).join('\n');
      const resetsAt = fixture.transcript
        .map((l) => JSON.stringify(l))
        .map((l) => /"resetsAt":(\d+)/.exec(l)?.[1])
        .find((v) => v !== undefined);
      assert.ok(resetsAt !== undefined, 'the fixture has no resetsAt');
      const now = ['--now', '2026-11-28T00:00:00Z', '--tz', 'UTC'];
      const auto = await classifyStdin([...now, '--agent', 'claude-code'], transcript, home.env);
      assert.equal(auto.code, 0, auto.err);
      const verdict = JSON.parse(auto.out) as Record<string, unknown>;
      assert.equal(verdict['reason'], 'rate_limit');
      assert.equal(verdict['resetAt'], new Date(Number(resetsAt) * 1000).toISOString());
      assert.equal(verdict['source'], 'claude:transcript:resetsAt');
      const other = await classifyStdin([...now, '--agent', 'opencode'], transcript, home.env);
      assert.equal(other.code, 0, other.err);
      const asOpencode = JSON.parse(other.out) as Record<string, unknown>;
      assert.notEqual(asOpencode['source'], 'claude:transcript:resetsAt');
    } finally {
      await home.remove();
    }
  });

  it('a recorded Codex rollout: the token_count reset wins; billing is auth_error', async () => {
    const home = await createTempHome();
    try {
      const read = (name: string): Promise<string> =>
        readFile(new URL(`./fixtures/codex/${name}`, import.meta.url), 'utf8');
      const rollout = await read('usage-limit-headers.jsonl');
      const resetsAt = [...rollout.matchAll(/"resets_at":(\d+)/g)].at(-1)?.[1];
      assert.ok(resetsAt !== undefined, 'the fixture has no resets_at');
      const now = ['--now', '2026-12-03T07:00:00Z', '--tz', 'UTC'];
      for (const agent of ['auto', 'codex']) {
        const run = await classifyStdin([...now, '--agent', agent], rollout, home.env);
        assert.equal(run.code, 0, run.err);
        const verdict = JSON.parse(run.out) as Record<string, unknown>;
        assert.equal(verdict['reason'], 'rate_limit');
        assert.equal(verdict['resetAt'], new Date(Number(resetsAt) * 1000).toISOString());
        assert.equal(verdict['source'], 'codex:rollout:resetsAt');
      }
      const quota = await classifyStdin(
        [...now, '--agent', 'codex'],
        await read('quota.jsonl'),
        home.env,
      );
      assert.equal((JSON.parse(quota.out) as Record<string, unknown>)['reason'], 'auth_error');
    } finally {
      await home.remove();
    }
  });

  it('deep JSON and an absurd wait: an answer, never a stack trace', async () => {
    const home = await createTempHome();
    try {
      const now = ['--now', '2026-11-27T22:00:00Z', '--tz', 'UTC'];
      for (const deep of [
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
      ]) {
        const run = await classifyStdin(now, deep, home.env);
        assert.equal(run.code, 0, run.err);
        assert.equal((JSON.parse(run.out) as { reason: string }).reason, 'none');
      }
      const hook = JSON.stringify({
        hook_event_name: 'StopFailure',
        session_id: 's',
        error: 'rate_limit',
        error_details: 'try again in 9999999999999m',
      });
      for (const input of ['Rate limit exceeded, try again in 9999999999999m', hook]) {
        const run = await classifyStdin(now, input, home.env);
        assert.equal(run.code, 0, run.err);
        const verdict = JSON.parse(run.out) as Record<string, unknown>;
        assert.equal(verdict['reason'], 'rate_limit');
        assert.equal(verdict['resetAt'], '2026-12-28T22:00:00.000Z');
        assert.equal(verdict['waitSeconds'], 31 * 86_400);
        assert.match(
          String(verdict['evidence']),
          /; reset 6,944,444,444 days away clamped to the 31-day maximum$/,
        );
      }
    } finally {
      await home.remove();
    }
  });

  it('reads a file; bad flags are usage errors', async () => {
    const home = await createTempHome();
    try {
      const file = join(home.dir, 'msg.txt');
      await writeFile(file, 'Please retry in 42.5s.\nRESOURCE_EXHAUSTED');
      const ok = await runCli(['classify', '--now', '2026-11-27T22:00:00Z', file], home.env);
      assert.equal(ok.code, 0, ok.stderr);
      const verdict = JSON.parse(ok.stdout) as { reason: string; waitSeconds: number };
      assert.equal(verdict.reason, 'rate_limit');
      assert.equal(verdict.waitSeconds, 43);
      const badZone = await runCli(['classify', '--tz', 'Mars/Olympus', file], home.env);
      assert.equal(badZone.code, 2);
      assert.match(badZone.stderr, /not an IANA time zone/);
      const badNow = await runCli(['classify', '--now', 'yesterday', file], home.env);
      assert.equal(badNow.code, 2);
      const missing = await runCli(['classify', join(home.dir, 'nope.txt')], home.env);
      assert.equal(missing.code, 2);
    } finally {
      await home.remove();
    }
  });
});
