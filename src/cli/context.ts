import { homedir } from 'node:os';
import { formatIssue, loadConfig } from '../config/load.js';
import type { ConfigIssue } from '../config/parse.js';
import { resolveConfigLocation, type ConfigLocation, type PathEnv } from '../config/paths.js';
import type { Config } from '../config/schema.js';
import { PalError } from '../errors.js';

/** What every command gets: where files are, and how to write. Tests run the real process. */
export interface CliContext {
  readonly pathEnv: PathEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<string>;
}

export function processContext(): CliContext {
  return {
    pathEnv: { env: process.env, platform: process.platform, homeDir: homedir() },
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

export function configLocation(ctx: CliContext, flag: string | undefined): ConfigLocation {
  return resolveConfigLocation(flag, ctx.pathEnv);
}

/** Loads the config or throws a PalError whose message lists every problem with its line. */
export async function requireConfig(location: ConfigLocation): Promise<Config> {
  const result = await loadConfig(location);
  if (result.ok) return result.config;
  throw invalidConfig(result.path, result.issues);
}

export function invalidConfig(path: string, issues: readonly ConfigIssue[]): PalError {
  const lines = issues.map((issue) => `  ${formatIssue(path, issue)}`);
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return new PalError('config_invalid', `configuration ${path} has ${count}:\n${lines.join('\n')}`);
}
