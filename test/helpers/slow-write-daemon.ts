// A daemon (startDaemon, in this process) whose state write hangs at a gate, stopped while that
// write is in flight. Once the process has nothing left to do but the write ('beforeExit': the
// stop is as far as it gets without it), it notes whether the stop ended and whether the PID file
// is still there, opens the gate, and prints what it saw as one JSON line. Test code only.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { pino } from 'pino';
import { statePaths } from '../../src/config/paths.js';
import { defaultConfig } from '../../src/config/schema.js';
import { EMPTY_STATE, type PersistedState } from '../../src/core/jobs.js';
import { readBuildInfo } from '../../src/daemon/build-info.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import { authedFetch } from './spawn-daemon.js';

export const SLOW_WRITE_SESSION = 'ses_slow_write';

export interface SlowWriteVerdict {
  /** When only the write was left: had the stop ended? was the PID file still there? */
  readonly atQuiet: { readonly stopEnded: boolean; readonly pidFile: boolean };
  /** Whether the PID file was there when the write landed. */
  readonly pidFileAtLanding: boolean | undefined;
  readonly pidFileAfterStop: boolean;
}

const paths = statePaths({ env: process.env, platform: process.platform, homeDir: homedir() });
await mkdir(paths.dir, { recursive: true, mode: 0o700 });
const seeded: PersistedState = {
  ...EMPTY_STATE,
  sessions: [{ agent: 'opencode', sessionId: SLOW_WRITE_SESSION, attempts: 0 }],
};
await writeFile(paths.stateFile, JSON.stringify(seeded));

let open: () => void = () => undefined;
const gate = new Promise<void>((resolve) => (open = resolve));
let started: () => void = () => undefined;
const writeStarted = new Promise<void>((resolve) => (started = resolve));
let pidFileAtLanding: boolean | undefined;

const config = defaultConfig();
config.http.port = 0;
config.opencode.enabled = false;
config.claude_code.enabled = false;
config.codex.enabled = false;
const daemon = await startDaemon({
  config,
  paths,
  build: readBuildInfo(),
  log: pino({ level: 'warn' }, process.stderr),
  env: process.env,
  saveState: async () => {
    started();
    await gate;
    pidFileAtLanding = existsSync(paths.pidFile);
  },
});
const token = (await readFile(paths.tokenFile, 'utf8')).trim();
// Pausing the session writes the state; the client then goes away, so its request does not hold
// the HTTP server's close (the write goes on without it).
const client = new AbortController();
const pausing = authedFetch(
  daemon.url ?? '',
  token,
  `/api/v1/sessions/${SLOW_WRITE_SESSION}/pause`,
  {
    method: 'POST',
    signal: client.signal,
  },
).catch(() => undefined);
await writeStarted;
client.abort();
await pausing;

const quiet = new Promise<void>((resolve) => {
  process.once('beforeExit', () => {
    resolve();
  });
});
let stopEnded = false;
const stopping = daemon.stop().finally(() => {
  stopEnded = true;
});
await quiet;
const atQuiet = { stopEnded, pidFile: existsSync(paths.pidFile) };
open();
await stopping;
const verdict: SlowWriteVerdict = {
  atQuiet,
  pidFileAtLanding,
  pidFileAfterStop: existsSync(paths.pidFile),
};
process.stdout.write(`${JSON.stringify(verdict)}\n`);
