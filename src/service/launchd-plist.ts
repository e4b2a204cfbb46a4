import { join } from 'node:path';
import { RESTART_DELAY_SECONDS, serviceArgs, type ServiceSpec } from './spec.js';

export const LAUNCHD_LABEL = 'dev.palingenesis.daemon';

/** Where launchd sends the daemon's stdout and stderr (the JSON log file is beside them). */
export function launchdLogPaths(stateDir: string): { stdout: string; stderr: string } {
  return { stdout: join(stateDir, 'launchd.out.log'), stderr: join(stateDir, 'launchd.err.log') };
}

/**
 * The launchd agent (~/Library/LaunchAgents/dev.palingenesis.daemon.plist). PURE.
 * KeepAlive {SuccessfulExit: false}: restarted after a failure, not after a clean stop.
 */
export function renderLaunchdPlist(spec: ServiceSpec): string {
  const logs = launchdLogPaths(spec.stateDir);
  const environment = Object.entries(spec.environment).flatMap(([key, value]) => [
    `    <key>${xml(key)}</key>`,
    `    <string>${xml(value)}</string>`,
  ]);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by `palingenesis service install`; remove it with `palingenesis service uninstall`. -->',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  <string>${LAUNCHD_LABEL}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...serviceArgs(spec).map((arg) => `    <string>${xml(arg)}</string>`),
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    ...environment,
    '  </dict>',
    '  <key>WorkingDirectory</key>',
    `  <string>${xml(spec.homeDir)}</string>`,
    '  <key>RunAtLoad</key>',
    '  <true/>',
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>ThrottleInterval</key>',
    `  <integer>${RESTART_DELAY_SECONDS}</integer>`,
    '  <key>StandardOutPath</key>',
    `  <string>${xml(logs.stdout)}</string>`,
    '  <key>StandardErrorPath</key>',
    `  <string>${xml(logs.stderr)}</string>`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

function xml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
