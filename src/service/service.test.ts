import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execStartWords, programArguments, serviceFilePath } from './install.js';
import { LAUNCHD_LABEL, renderLaunchdPlist } from './launchd-plist.js';
import { serviceArgs, type ServiceSpec } from './spec.js';
import { quoteSystemd, renderSystemdUnit } from './systemd-unit.js';

const SPEC: ServiceSpec = {
  node: '/usr/bin/node',
  cli: '/opt/palingenesis/dist/cli.js',
  environment: { PATH: '/usr/local/bin:/usr/bin', XDG_STATE_HOME: '/home/me/.state' },
  stateDir: '/home/me/.state/palingenesis',
  homeDir: '/home/me',
};
// Spaces, quotes, a backslash, systemd's specifier and variable signs, XML's special characters.
const AWKWARD: ServiceSpec = {
  ...SPEC,
  node: '/opt/my node/bin/node',
  cli: `/srv/50% "odd" $HOME\\x & <b>'s/dist/cli.js`,
  configPath: '/home/me/pal ingenesis.toml',
};

function lines(text: string, prefix: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(prefix));
}

describe('renderSystemdUnit', () => {
  it('runs daemon start --foreground, restarts on failure, starts with the user session', () => {
    const unit = renderSystemdUnit(SPEC);
    assert.deepEqual(lines(unit, 'ExecStart='), [
      'ExecStart=/usr/bin/node /opt/palingenesis/dist/cli.js daemon start --foreground',
    ]);
    for (const line of [
      'Restart=on-failure',
      'RestartSec=5',
      'RestartPreventExitStatus=3',
      'WantedBy=default.target',
      'StandardError=journal',
    ]) {
      assert.ok(unit.split('\n').includes(line), `missing ${line}`);
    }
    assert.deepEqual(lines(unit, 'Environment='), [
      'Environment=PATH=/usr/local/bin:/usr/bin',
      'Environment=XDG_STATE_HOME=/home/me/.state',
    ]);
    const sections = lines(unit, '[');
    assert.deepEqual(sections, ['[Unit]', '[Service]', '[Install]']);
  });

  it('quotes and escapes every argument so that systemd reads back exactly the command', () => {
    const unit = renderSystemdUnit(AWKWARD);
    assert.deepEqual(execStartWords(unit), serviceArgs(AWKWARD));
    assert.deepEqual(serviceArgs(AWKWARD).slice(2), [
      '--config',
      '/home/me/pal ingenesis.toml',
      'daemon',
      'start',
      '--foreground',
    ]);
  });

  it('quoteSystemd: plain words stay bare; % and (in ExecStart) $ are doubled', () => {
    const table: [string, boolean, string][] = [
      ['/usr/bin/node', true, '/usr/bin/node'],
      ['a b', true, '"a b"'],
      ['100%', true, '100%%'],
      ['$HOME', true, '$$HOME'],
      ['$HOME', false, '$HOME'],
      ['say "hi"', false, '"say \\"hi\\""'],
      ['back\\slash', true, '"back\\\\slash"'],
    ];
    for (const [word, inExec, expected] of table) {
      assert.equal(quoteSystemd(word, inExec), expected, word);
    }
  });
});

describe('renderLaunchdPlist', () => {
  it('has the label, the arguments, KeepAlive on failure only, RunAtLoad and log paths', () => {
    const plist = renderLaunchdPlist(SPEC);
    assert.match(plist, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<!DOCTYPE plist /);
    assert.match(plist, new RegExp(`<key>Label</key>\\s*<string>${LAUNCHD_LABEL}</string>`));
    assert.deepEqual(programArguments(plist), serviceArgs(SPEC));
    assert.match(plist, /<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/);
    assert.match(plist, /<key>RunAtLoad<\/key>\s*<true\/>/);
    assert.match(
      plist,
      /<key>StandardErrorPath<\/key>\s*<string>\/home\/me\/\.state\/palingenesis\/launchd\.err\.log</,
    );
    assert.match(plist, /<key>PATH<\/key>\s*<string>\/usr\/local\/bin:\/usr\/bin<\/string>/);
  });

  it('escapes XML so that the arguments read back exactly', () => {
    const plist = renderLaunchdPlist(AWKWARD);
    assert.deepEqual(programArguments(plist), serviceArgs(AWKWARD));
    assert.doesNotMatch(plist, /& |<b>/);
  });
});

describe('serviceFilePath', () => {
  const pathEnv = (env: Record<string, string>) =>
    ({ env, platform: 'linux', homeDir: '/home/me' }) as const;
  it('honours XDG_CONFIG_HOME and HOME', () => {
    assert.equal(
      serviceFilePath('linux', pathEnv({ XDG_CONFIG_HOME: '/x/config' })),
      '/x/config/systemd/user/palingenesis.service',
    );
    assert.equal(
      serviceFilePath('linux', pathEnv({ HOME: '/h' })),
      '/h/.config/systemd/user/palingenesis.service',
    );
    assert.equal(
      serviceFilePath('darwin', pathEnv({ HOME: '/Users/me', XDG_CONFIG_HOME: '/x' })),
      '/Users/me/Library/LaunchAgents/dev.palingenesis.daemon.plist',
    );
  });
});
