import { EXIT } from '../cli/exit-codes.js';
import { RESTART_DELAY_SECONDS, serviceArgs, type ServiceSpec } from './spec.js';

export const SYSTEMD_UNIT_NAME = 'palingenesis.service';

/**
 * The systemd user unit. PURE.
 *
 * Logs: the daemon writes its own JSON-lines log file in the state dir (what `palingenesis logs`
 * reads); stdout (the ready line) and stderr (the same lines, plus anything said before the log
 * opens, such as a config error) go to the journal: `journalctl --user -u palingenesis`.
 */
export function renderSystemdUnit(spec: ServiceSpec): string {
  const environment = Object.entries(spec.environment).map(
    ([key, value]) => `Environment=${quoteSystemd(`${key}=${value}`, false)}`,
  );
  return [
    '# Written by `palingenesis service install`; remove it with `palingenesis service uninstall`.',
    '[Unit]',
    'Description=palingenesis: resumes stopped AI coding agent sessions',
    // Five failed starts within five minutes (a broken config, say) and systemd stops trying.
    'StartLimitIntervalSec=300',
    'StartLimitBurst=5',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${serviceArgs(spec)
      .map((arg) => quoteSystemd(arg, true))
      .join(' ')}`,
    'Restart=on-failure',
    `RestartSec=${RESTART_DELAY_SECONDS}`,
    `# Exit ${EXIT.alreadyRunning}: another daemon already runs with this state directory.`,
    `RestartPreventExitStatus=${EXIT.alreadyRunning}`,
    ...environment,
    'WorkingDirectory=~',
    'StandardOutput=journal',
    'StandardError=journal',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/**
 * One word for an ExecStart= or Environment= line: `%` is a specifier and, in ExecStart, `$` a
 * variable, so both are doubled; words with spaces, quotes or backslashes are double-quoted.
 */
export function quoteSystemd(word: string, inExec: boolean): string {
  let escaped = word.replaceAll('%', '%%');
  if (inExec) escaped = escaped.replaceAll('$', () => '$$'); // a string '$$' would mean one $
  if (/^[\w@%+=:,./$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
