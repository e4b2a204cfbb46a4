import { execFile } from 'node:child_process';
import { LAUNCHD_LABEL } from './launchd-plist.js';
import { SYSTEMD_UNIT_NAME } from './systemd-unit.js';

export type ServicePlatform = 'linux' | 'darwin';

/** systemctl / launchctl: the commands for one platform, as argv arrays (also shown to users). */
export interface ServiceManager {
  /** Is the per-user service manager reachable from here? */
  usable(): Promise<boolean>;
  /** After the file is written: load it and start it now and at every login. */
  activate(file: string): readonly (readonly string[])[];
  /** Before the file is removed: stop it and forget it. */
  deactivate(file: string): readonly (readonly string[])[];
  /** After the file is removed. */
  readonly afterRemove: readonly (readonly string[])[];
  /** Whether it runs now; `unknown` when the manager cannot be asked. */
  isActive(): Promise<'active' | 'inactive' | 'unknown'>;
}

const COMMAND_TIMEOUT_MS = 10_000;

export interface CommandRun {
  readonly ok: boolean;
  readonly output: string;
}

export function runCommand(argv: readonly string[]): Promise<CommandRun> {
  const [file, ...args] = argv;
  return new Promise((resolve) => {
    execFile(file ?? '', args, { timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
      // A missing binary or a non-zero exit is an answer ("not usable"), not a fault.
      resolve({ ok: error === null, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/**
 * The manager for `platform`. When it is not the platform this runs on (`--platform` in tests
 * and previews) nothing is ever run: `usable()` is false and the commands are only printed.
 */
export function serviceManager(platform: ServicePlatform, host: NodeJS.Platform): ServiceManager {
  const native = platform === host;
  if (platform === 'linux') {
    const unit = SYSTEMD_UNIT_NAME;
    return {
      // show-environment answers only when a user manager is reachable (not in most containers).
      usable: async () =>
        native && (await runCommand(['systemctl', '--user', 'show-environment'])).ok,
      activate: () => [
        ['systemctl', '--user', 'daemon-reload'],
        ['systemctl', '--user', 'enable', '--now', unit],
      ],
      deactivate: () => [['systemctl', '--user', 'disable', '--now', unit]],
      afterRemove: [['systemctl', '--user', 'daemon-reload']],
      isActive: async () => {
        if (!native) return 'unknown';
        const run = await runCommand(['systemctl', '--user', 'is-active', unit]);
        if (run.ok) return 'active';
        return /^(inactive|failed|activating|deactivating)$/m.test(run.output)
          ? 'inactive'
          : 'unknown';
      },
    };
  }
  const domain = `gui/${String(process.getuid?.() ?? 0)}`;
  return {
    usable: async () => native && (await runCommand(['launchctl', 'print', domain])).ok,
    activate: (file) => [['launchctl', 'bootstrap', domain, file]],
    deactivate: () => [['launchctl', 'bootout', `${domain}/${LAUNCHD_LABEL}`]],
    afterRemove: [],
    isActive: async () => {
      if (!native) return 'unknown';
      const run = await runCommand(['launchctl', 'print', `${domain}/${LAUNCHD_LABEL}`]);
      return run.ok && /state = running/.test(run.output) ? 'active' : 'inactive';
    },
  };
}
