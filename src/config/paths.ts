import { join } from 'node:path';

/** The parts of the environment that decide where files live. Tests pass their own. */
export interface PathEnv {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly homeDir: string;
}

export type ConfigPathSource = 'flag' | 'env' | 'default';

export interface ConfigLocation {
  readonly path: string;
  /** Where the path came from: an explicit choice must exist, the default may be absent. */
  readonly source: ConfigPathSource;
}

const APP = 'palingenesis';

function home(pathEnv: PathEnv): string {
  return nonEmpty(pathEnv.env['HOME']) ?? pathEnv.homeDir;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** `--config` > `PALINGENESIS_CONFIG` > the platform's config directory. */
export function resolveConfigLocation(flag: string | undefined, pathEnv: PathEnv): ConfigLocation {
  const fromFlag = nonEmpty(flag);
  if (fromFlag !== undefined) return { path: fromFlag, source: 'flag' };
  const fromEnv = nonEmpty(pathEnv.env['PALINGENESIS_CONFIG']);
  if (fromEnv !== undefined) return { path: fromEnv, source: 'env' };
  return { path: join(configDir(pathEnv), 'config.toml'), source: 'default' };
}

export function configDir(pathEnv: PathEnv): string {
  const xdg = nonEmpty(pathEnv.env['XDG_CONFIG_HOME']);
  if (xdg !== undefined) return join(xdg, APP);
  if (pathEnv.platform === 'darwin') {
    return join(home(pathEnv), 'Library', 'Application Support', APP);
  }
  return join(home(pathEnv), '.config', APP);
}

/** State, logs and the PID file: `$XDG_STATE_HOME/palingenesis` or `~/.local/state/palingenesis`. */
export function stateDir(pathEnv: PathEnv): string {
  const xdg = nonEmpty(pathEnv.env['XDG_STATE_HOME']);
  if (xdg !== undefined) return join(xdg, APP);
  return join(home(pathEnv), '.local', 'state', APP);
}

export interface StatePaths {
  readonly dir: string;
  readonly pidFile: string;
  readonly logFile: string;
  /** Pending resume jobs and lifetime totals (JSON, written atomically). */
  readonly stateFile: string;
  /** Every daemon event with its evidence, one JSON line each. */
  readonly auditFile: string;
  /**
   * `{"pid", "url"}` of the running daemon, written once it listens and removed when it stops:
   * how the Claude Code hook forwarder (and later the CLI) finds it without reading the config.
   */
  readonly runtimeFile: string;
  /** Hook payloads written while the daemon was down, replayed at start. */
  readonly spoolDir: string;
  /**
   * The API token (mode 0600), made at the daemon's first start: what the CLI, the MCP server and
   * the hook forwarder send. Holds the configured token instead when `[http] token(_file)` is set.
   */
  readonly tokenFile: string;
}

export function statePaths(pathEnv: PathEnv): StatePaths {
  const dir = stateDir(pathEnv);
  return {
    dir,
    pidFile: join(dir, `${APP}.pid`),
    logFile: join(dir, `${APP}.log`),
    stateFile: join(dir, 'state.json'),
    auditFile: join(dir, 'audit.jsonl'),
    runtimeFile: join(dir, 'daemon.json'),
    spoolDir: join(dir, 'spool'),
    tokenFile: join(dir, 'api-token'),
  };
}
