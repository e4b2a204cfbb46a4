import { access, chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { configDir, type PathEnv } from '../config/paths.js';
import { PalError } from '../errors.js';
import { LAUNCHD_LABEL, renderLaunchdPlist } from './launchd-plist.js';
import { runCommand, type ServiceManager, type ServicePlatform } from './service-manager.js';
import type { ServiceSpec } from './spec.js';
import { SYSTEMD_UNIT_NAME, renderSystemdUnit } from './systemd-unit.js';

/** `$XDG_CONFIG_HOME/systemd/user/palingenesis.service`, or the launchd agent's plist. */
export function serviceFilePath(platform: ServicePlatform, pathEnv: PathEnv): string {
  // configDir() is `<XDG_CONFIG_HOME or ~/.config>/palingenesis` on Linux; its parent is the base.
  if (platform === 'linux') {
    const base = dirname(configDir({ ...pathEnv, platform: 'linux' }));
    return join(base, 'systemd', 'user', SYSTEMD_UNIT_NAME);
  }
  const home = pathEnv.env['HOME'] ?? pathEnv.homeDir;
  return join(
    home === '' ? pathEnv.homeDir : home,
    'Library',
    'LaunchAgents',
    `${LAUNCHD_LABEL}.plist`,
  );
}

export function renderService(platform: ServicePlatform, spec: ServiceSpec): string {
  return platform === 'linux' ? renderSystemdUnit(spec) : renderLaunchdPlist(spec);
}

export interface ManagerOutcome {
  /** Commands that were run (all succeeded). */
  readonly ran: readonly (readonly string[])[];
  /** Commands to run by hand: the service manager was not usable or not wanted. */
  readonly pending: readonly (readonly string[])[];
}

/** Writes the file (mode 0644, atomically), then loads it when asked to or when possible. */
export async function installService(input: {
  readonly file: string;
  readonly text: string;
  readonly stateDir: string;
  readonly manager: ServiceManager;
  /** true: run the manager (fail if it fails); false: never; undefined: when it is usable. */
  readonly start: boolean | undefined;
}): Promise<ManagerOutcome> {
  await mkdir(dirname(input.file), { recursive: true });
  await mkdir(input.stateDir, { recursive: true, mode: 0o700 }); // launchd writes its logs there
  const temp = `${input.file}.${String(process.pid)}.tmp`;
  try {
    await writeFile(temp, input.text, { mode: 0o644 });
    await chmod(temp, 0o644); // whatever the umask
    await rename(temp, input.file);
  } finally {
    await rm(temp, { force: true });
  }
  return runManager(input.manager.activate(input.file), input.manager, input.start);
}

/** Stops and forgets the service when possible, then removes the file. */
export async function uninstallService(input: {
  readonly file: string;
  readonly manager: ServiceManager;
  readonly start: boolean | undefined;
}): Promise<ManagerOutcome & { readonly removed: boolean }> {
  const present = await exists(input.file);
  const before = present
    ? await runManager(input.manager.deactivate(input.file), input.manager, input.start, true)
    : { ran: [], pending: [] };
  await rm(input.file, { force: true });
  const after = present
    ? await runManager(input.manager.afterRemove, input.manager, input.start)
    : { ran: [], pending: [] };
  return {
    removed: present,
    ran: [...before.ran, ...after.ran],
    pending: [...before.pending, ...after.pending],
  };
}

async function runManager(
  commands: readonly (readonly string[])[],
  manager: ServiceManager,
  start: boolean | undefined,
  tolerateFailure = false,
): Promise<ManagerOutcome> {
  const run = start ?? (await manager.usable());
  if (!run) return { ran: [], pending: commands };
  for (const argv of commands) {
    const result = await runCommand(argv);
    // Stopping a service that is not loaded fails; the file is removed all the same.
    if (!result.ok && !tolerateFailure) {
      throw new PalError(
        'internal',
        `\`${argv.join(' ')}\` failed: ${result.output || 'no output'}`,
      );
    }
  }
  return { ran: commands, pending: [] };
}

/** The command line in an installed file (our own format), to check that its paths exist. */
export async function readServiceArgs(
  platform: ServicePlatform,
  file: string,
): Promise<string[] | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  return platform === 'linux' ? execStartWords(text) : programArguments(text);
}

export function execStartWords(unit: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
  const words = line.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  return words.map((word) => {
    const bare = word.startsWith('"') ? word.slice(1, -1).replace(/\\(.)/g, '$1') : word;
    return bare.replaceAll('%%', '%').replaceAll('$$', '$');
  });
}

export function programArguments(plist: string): string[] {
  const array = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(plist)?.[1] ?? '';
  return [...array.matchAll(/<string>([\s\S]*?)<\/string>/g)].map((m) =>
    (m[1] ?? '')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&quot;', '"')
      .replaceAll('&apos;', "'")
      .replaceAll('&amp;', '&'),
  );
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false; // only presence is reported; the reason does not change what to do
  }
}
