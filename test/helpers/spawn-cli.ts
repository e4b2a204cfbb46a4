import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { CLI_PATH } from './spawn-daemon.js';

export interface RunningCli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with stdout once `pattern` matches it; bounded. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal and resolves with the exit code (SIGKILL after 10 s). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the built CLI for a long-running command (`--follow`); the test stops it. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): RunningCli {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitForStdout(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (child.exitCode !== null) {
          throw new Error(`the CLI exited (${child.exitCode}) before ${pattern}:\n${out}\n${err}`);
        }
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for ${pattern}; stdout:\n${out}\nstderr:\n${err}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return out;
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      try {
        const [code] = await exited;
        return code;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
