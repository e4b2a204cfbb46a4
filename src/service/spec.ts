/** What a service definition runs, and with which environment. Built by the CLI, rendered purely. */
export interface ServiceSpec {
  /** Absolute path of the node executable. */
  readonly node: string;
  /** Absolute path of dist/cli.js. */
  readonly cli: string;
  /** Absolute config path, when the install named one (flag or $PALINGENESIS_CONFIG). */
  readonly configPath?: string;
  /**
   * Variables the daemon must see as the installing shell did: PATH (so `opencode`, `claude` and
   * `tmux` are found), and the XDG directories (so its state dir is the one `logs` reads).
   */
  readonly environment: Readonly<Record<string, string>>;
  /** The daemon's state directory: launchd writes stdout/stderr there. */
  readonly stateDir: string;
  readonly homeDir: string;
}

/** The daemon's command line. */
export function serviceArgs(spec: ServiceSpec): string[] {
  const config = spec.configPath === undefined ? [] : ['--config', spec.configPath];
  return [spec.node, spec.cli, ...config, 'daemon', 'start', '--foreground'];
}

export const RESTART_DELAY_SECONDS = 5;
