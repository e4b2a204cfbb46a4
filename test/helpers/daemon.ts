import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { authedFetch } from './spawn-daemon.js';
import { defaultConfig, type Config } from '../../src/config/schema.js';
import { readBuildInfo } from '../../src/daemon/build-info.js';
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import { createTempHome, type TempHome } from './temp-home.js';

export interface TestDaemon {
  readonly daemon: RunningDaemon;
  readonly url: string;
  readonly home: TempHome;
  readonly token: string;
  /** fetch on the daemon's URL with its token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** A real daemon in this process on 127.0.0.1:0 with an isolated state directory. */
export async function startTestDaemon(
  patch: (config: Config) => void = () => undefined,
): Promise<TestDaemon> {
  const home = await createTempHome();
  const config = defaultConfig();
  config.http.port = 0;
  // Agents stay off unless a test turns them on: the developer may run opencode on :4096.
  config.opencode.enabled = false;
  config.claude_code.enabled = false;
  patch(config);
  try {
    const daemon = await startDaemon({
      config,
      paths: home.state,
      build: readBuildInfo(),
      log: pino({ level: 'silent' }),
      env: home.env,
    });
    if (daemon.url === undefined) throw new Error('test daemon has no HTTP URL');
    const url = daemon.url;
    const token = (await readFile(home.state.tokenFile, 'utf8')).trim();
    return {
      daemon,
      url,
      home,
      token,
      api: (path, init) => authedFetch(url, token, path, init),
      async close() {
        try {
          await daemon.stop();
        } finally {
          await home.remove();
        }
      },
    };
  } catch (error) {
    await home.remove();
    throw error;
  }
}
