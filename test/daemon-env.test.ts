import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startTestDaemon } from './helpers/daemon.js';
import { eventually } from './helpers/daemon-api.js';

interface Fixture {
  readonly sessionId: string;
  readonly transcript: readonly unknown[];
}

// A daemon finds agents through the environment it is given, never the one of the process that
// embeds it: tests (and benchmarks) must not see, or act on, the developer's own sessions.
describe('the daemon environment', () => {
  it('finds Claude Code sessions under the HOME it was given, not the process HOME', async () => {
    const fixture = JSON.parse(
      await readFile(new URL('./fixtures/claude-code/normal-turn.json', import.meta.url), 'utf8'),
    ) as Fixture;
    const daemon = await startTestDaemon((config) => {
      config.claude_code.enabled = true;
      config.claude_code.poll_interval_ms = 100;
    });
    try {
      assert.notEqual(daemon.home.env['HOME'], process.env['HOME']);
      const project = join(daemon.home.dir, '.claude', 'projects', '-tmp-HOME-project');
      await mkdir(project, { recursive: true });
      const lines = fixture.transcript.map((line) => JSON.stringify(line)).join('\n');
      await writeFile(join(project, `${fixture.sessionId}.jsonl`), `${lines}\n`);
      const ids = await eventually('the temp HOME session to be listed', 10_000, async () => {
        const body = (await (await daemon.api(`/api/v1/sessions`)).json()) as {
          sessions: { id: string }[];
        };
        const found = body.sessions.map((s) => s.id);
        return found.includes(fixture.sessionId) ? found : undefined;
      });
      assert.deepEqual(ids, [fixture.sessionId]);
    } finally {
      await daemon.close();
    }
  });
});
