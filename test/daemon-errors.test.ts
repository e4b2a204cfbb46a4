import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfigText } from '../src/config/parse.js';
import { readBuildInfo } from '../src/daemon/build-info.js';
import { startDaemon } from '../src/daemon/daemon.js';
import { daemonMetrics, eventually, sample } from './helpers/daemon-api.js';
import type { Family } from './helpers/exposition.js';
import { createTempHome } from './helpers/temp-home.js';

const CONFIG = [
  '[http]',
  'port = 0',
  '[opencode]',
  'enabled = false',
  '[codex]',
  'enabled = false',
  '[claude_code]',
  'enabled = true',
  'poll_interval_ms = 100',
].join('\n');

const errors = (families: Map<string, Family>, component: string, kind: string): number =>
  sample(families, 'palingenesis_errors_total', { component, kind });

/**
 * A real daemon in this process, on a disk that fails in the ways it must survive: every caught
 * failure is logged and counted in `palingenesis_errors_total`, including those before the
 * metrics existed, and none of them stops it.
 */
describe('palingenesis_errors_total from a real daemon', () => {
  it('counts a corrupt state file, a full audit disk, a failing listener and malformed lines', async (t) => {
    if (!existsSync('/dev/full')) {
      t.skip('no /dev/full on this system');
      return;
    }
    const home = await createTempHome();
    const parsed = parseConfigText(CONFIG);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    await mkdir(home.state.dir, { recursive: true, mode: 0o700 });
    // Found at the start, before the metrics exist: counted once they do.
    await writeFile(home.state.stateFile, '{"jobs": [oops');
    // Every audit line fails (ENOSPC): one report for the whole streak, never thrown.
    await symlink('/dev/full', home.state.auditFile);
    const transcript = join(home.dir, '.claude', 'projects', '-work-p', 's1.jsonl');
    await mkdir(join(home.dir, '.claude', 'projects', '-work-p'), { recursive: true });
    await writeFile(transcript, 'not json\n{"cut": \n');
    const daemon = await startDaemon({
      config: parsed.config,
      paths: home.state,
      build: readBuildInfo(),
      log: pino({ level: 'silent' }),
      env: home.env,
      onEvent: (event) => {
        if (event.type === 'daemon.started') throw new Error('a listener with a bug');
      },
    });
    try {
      const url = daemon.url;
      assert.ok(url !== undefined);
      const families = await eventually('the malformed lines counted', 10_000, async () => {
        const now = await daemonMetrics(url);
        return errors(now, 'agent', 'malformed_line') >= 2 ? now : undefined;
      });
      assert.equal(errors(families, 'agent', 'malformed_line'), 2, 'one per line, not per read');
      assert.equal(errors(families, 'store', 'state_corrupt'), 1);
      assert.equal(errors(families, 'store', 'audit_write'), 1, 'once per streak');
      assert.equal(errors(families, 'process', 'event_listener'), 1);
      // Declared: at 0 before anything happened.
      const declared = families.get('palingenesis_errors_total')?.metrics ?? [];
      assert.ok(
        declared.some(
          (m) => m.labels?.['component'] === 'resume' && m.labels['kind'] === 'resume_job',
        ),
      );
      assert.equal(errors(families, 'resume', 'resume_job'), 0);
      // Still serving.
      assert.equal((await fetch(`${url}/health`)).status, 200);
    } finally {
      await daemon.stop();
      await home.remove();
    }
  });
});
