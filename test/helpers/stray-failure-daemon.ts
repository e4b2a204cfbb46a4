// A foreground daemon (the real runForeground, as `daemon start --foreground` runs it) that, on
// SIGUSR2, leaves a rejected promise and a throwing timer behind: what a bug or an unforeseen
// input does. Test code only: the product has no such trigger.
import { homedir } from 'node:os';
import { statePaths } from '../../src/config/paths.js';
import { defaultConfig } from '../../src/config/schema.js';
import { readBuildInfo } from '../../src/daemon/build-info.js';
import { runForeground } from '../../src/daemon/run-foreground.js';

const config = defaultConfig();
config.http.port = 0;
config.opencode.enabled = false;
config.claude_code.enabled = false;
process.on('SIGUSR2', () => {
  void Promise.reject(new Error('a stray rejection'));
  setTimeout(() => {
    throw new Error('a stray throw');
  }, 0);
});
const code = await runForeground({
  config,
  paths: statePaths({ env: process.env, platform: process.platform, homeDir: homedir() }),
  build: readBuildInfo(),
  stdout: (text) => process.stdout.write(text),
});
process.exit(code);
