import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scanLiveCodex } from '../src/agents/codex/live.js';
import { codexPaneRefusal, dismissRateLimitModal, typePrompt } from '../src/agents/codex/tmux.js';
import { rolloutFileFor, startCodexExec } from './helpers/codex.js';
import { flockHolder } from './helpers/codex-rollout.js';
import { needTmux, scanFor, startTui, turn, warmUp, withCodex } from './helpers/codex-tui.js';

// The real Codex CLI 0.171.0 TUI, started through its npm launcher in a shell in tmux (its own
// socket in the temp HOME), against the fake Responses API; and `codex exec` for the scan. What
// src/agents/codex/live.ts and tmux.ts rely on is pinned here. Every wait is on a fact — a
// request at the fake, a state of the screen, a process in /proc — and bounded.

describe('Codex 0.171 TUI in tmux', { concurrency: true, timeout: 120_000 }, () => {
  it('a usage limit: modal allowed, "Keep current model", then "continue" in the same thread', async (t) => {
    if (!needTmux(t)) return;
    await withCodex(async ({ fake, h }, keep) => {
      const tui = keep(await startTui(h));
      // Before any prompt the TUI already holds its thread's writer lock, not yet a rollout.
      const fresh = await scanFor(
        h,
        (l) => l.pid === tui.pid && l.threadId !== undefined,
        'the TUI with its thread in the scan',
      );
      assert.equal(fresh.kind, 'tui');
      assert.equal(fresh.launcherPid, tui.launcherPid);
      assert.equal(fresh.rolloutPath, undefined);
      assert.deepEqual(fresh.tmux, { socket: tui.socket, pane: tui.target.pane });
      assert.equal(fresh.cwd, h.project);
      // Only this CODEX_HOME: the other tests' TUIs run meanwhile in theirs.
      assert.deepEqual(
        (await scanLiveCodex({ codexHome: h.codexHome })).map((l) => l.pid),
        [tui.pid],
      );
      const thread = await warmUp(fake, tui);
      assert.equal(fresh.threadId, thread);

      fake.enqueueResponses({
        kind: 'usage_limit',
        resetsAtSeconds: Math.floor(Date.now() / 1000) + 3600,
      });
      assert.deepEqual(await typePrompt(tui.target, 'please do the task'), { ok: true });
      await fake.waitForRequest(turn('please do the task'), 15_000);
      await tui.waitFor((s) => s.kind === 'rate-limit-modal', 15_000, 'the rate-limit modal');
      assert.match(await tui.capture(), /You’ve hit your usage limit\./);
      assert.equal(await codexPaneRefusal(tui.target, tui.pid), undefined);
      assert.equal(await codexPaneRefusal(tui.target, tui.launcherPid), undefined);

      assert.deepEqual(await dismissRateLimitModal(tui.target), { ok: true });
      assert.doesNotMatch(await tui.capture(), /Approaching rate limits/);
      assert.deepEqual(await typePrompt(tui.target, 'continue'), { ok: true });
      const next = (await fake.waitForRequest(turn('continue'), 15_000)).responses;
      assert.ok(next);
      assert.equal(next.threadId, thread);
      assert.equal(next.sessionId, thread);
      assert.equal(next.body.model, 'fake-model', 'the model was kept, not switched');
      assert.deepEqual(next.userTexts, ['hello', 'please do the task', 'continue']);

      const live = await scanFor(
        h,
        (l) => l.pid === tui.pid && l.rolloutPath !== undefined,
        'rollout',
      );
      assert.equal(live.threadId, thread);
      assert.equal(live.rolloutPath, await rolloutFileFor(h, thread));
      assert.equal(
        flockHolder(join(h.codexHome, 'thread-writer-locks', `${thread}.lock`)),
        tui.pid,
      );
    });
  });

  it('refuses a TUI streaming an answer, and a pane whose Codex is gone', async (t) => {
    if (!needTmux(t)) return;
    await withCodex(async ({ fake, h }, keep) => {
      const tui = keep(await startTui(h));
      await warmUp(fake, tui);
      const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
      fake.enqueueResponses({ kind: 'slow', text: words, delayMs: 400, chunks: 30 });
      assert.deepEqual(await typePrompt(tui.target, 'answer slowly'), { ok: true });
      await fake.waitForRequest(turn('answer slowly'), 15_000);
      await tui.waitForText('word1', 10_000);
      // Streaming, the screen looks idle (no status line): the title's spinner tells.
      assert.match((await codexPaneRefusal(tui.target, tui.pid)) ?? '', /is running a turn/);
      const typed = await typePrompt(tui.target, 'continue');
      assert.equal(typed.ok, false);
      assert.equal(fake.requests().filter(turn('continue')).length, 0);

      await tui.kill9();
      assert.match((await codexPaneRefusal(tui.target, tui.pid)) ?? '', /is not running/);
      // A live process that is not the pane's foreground (this test runner): refused too.
      const other = await codexPaneRefusal(tui.target, process.pid);
      assert.match(other ?? '', /^the foreground process of tmux pane %\d+ is \S+, not Codex/);
      assert.deepEqual(await scanLiveCodex({ codexHome: h.codexHome }), []);
    });
  });

  it('refuses the trust dialog of an untrusted git folder', async (t) => {
    if (!needTmux(t)) return;
    await withCodex(async ({ h }, keep) => {
      const repo = join(h.home.dir, 'untrusted');
      await mkdir(join(repo, '.git', 'objects'), { recursive: true });
      await mkdir(join(repo, '.git', 'refs'));
      await writeFile(join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
      const tui = keep(await startTui(h, { cwd: repo, ready: (s) => s.kind === 'dialog' }));
      assert.match(await tui.capture(), /Trust this folder\?/);
      assert.match((await codexPaneRefusal(tui.target, tui.pid)) ?? '', /shows the trust dialog/);
      const [live] = await scanLiveCodex({ codexHome: h.codexHome });
      // No thread before the folder is trusted.
      assert.deepEqual(
        { pid: live?.pid, kind: live?.kind, threadId: live?.threadId },
        { pid: tui.pid, kind: 'tui', threadId: undefined },
      );
    });
  });
});

describe('scanLiveCodex and codex exec', { timeout: 60_000 }, () => {
  it('finds `exec` and `exec resume` with their thread and rollout, only in its CODEX_HOME', async () => {
    await withCodex(async ({ fake, h }) => {
      const slow = { kind: 'slow', text: 'one two three four', delayMs: 300, chunks: 4 } as const;
      fake.enqueueResponses(slow, slow);
      const first = startCodexExec({ home: h, prompt: 'exec slowly' });
      try {
        const thread = (await fake.waitForRequest(turn('exec slowly'), 15_000)).responses?.threadId;
        assert.ok(thread !== undefined);
        const live = await scanFor(
          h,
          (l) => l.pid === first.pid && l.rolloutPath !== undefined,
          'exec',
        );
        assert.deepEqual(live, {
          pid: first.pid,
          kind: 'exec',
          threadId: thread,
          rolloutPath: await rolloutFileFor(h, thread),
          threads: [{ threadId: thread, rolloutPath: await rolloutFileFor(h, thread) }],
          cwd: h.project,
        });
        assert.equal((await first.done).exitCode, 0);

        const again = startCodexExec({ home: h, prompt: 'exec again', resume: thread });
        try {
          await fake.waitForRequest(turn('exec again'), 15_000);
          const resumed = await scanFor(h, (l) => l.pid === again.pid, 'exec resume');
          assert.equal(resumed.threadId, thread);
          assert.equal(resumed.rolloutPath, live.rolloutPath);
          assert.equal((await again.done).exitCode, 0);
        } finally {
          await again.kill9();
        }
        assert.deepEqual(await scanLiveCodex({ codexHome: h.codexHome }), []);
      } finally {
        await first.kill9();
      }
    });
  });
});
