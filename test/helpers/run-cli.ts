import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CLI_PATH } from './spawn-daemon.js';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI to completion (bounded: killed after timeoutMs), as another user if asked. */
export async function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { cwd?: string; timeoutMs?: number; uid?: number; gid?: number; cli?: string } = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, [options.cli ?? CLI_PATH, ...args], {
    env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
