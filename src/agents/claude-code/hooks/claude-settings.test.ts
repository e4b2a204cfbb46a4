import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  claudeSettingsPath,
  planInstall,
  planUninstall,
  type SettingsEdit,
} from './claude-settings.js';
import { CLAUDE_HOOK_EVENTS } from './events.js';
import { installedHooks } from './settings-view.js';

const OURS = `'/usr/bin/node' '/opt/pal/dist/palingenesis-hook.js' claude-code --state-dir '/s'`;
const MOVED = `'/usr/bin/node' '/new/dist/palingenesis-hook.js' claude-code --state-dir '/s'`;

function ok(edit: SettingsEdit): Extract<SettingsEdit, { ok: true }> {
  if (!edit.ok) assert.fail(edit.message);
  return edit;
}

const USER_HOOK = { type: 'command', command: 'notify-send done' };

/** A user's file: other settings, another Stop hook, written in the given style. */
function userFile(indent: string | number, eol = '\n', trailing = eol): string {
  const value = {
    model: 'opus',
    permissions: { allow: ['Bash(git status)'] },
    hooks: {
      Stop: [{ hooks: [USER_HOOK] }],
      PreToolUse: [{ matcher: 'Bash', hooks: [USER_HOOK] }],
    },
  };
  return JSON.stringify(value, null, indent).replaceAll('\n', eol) + trailing;
}

describe('claude settings path', () => {
  const base = { platform: 'linux' as const, homeDir: '/home/os' };
  it('uses $CLAUDE_CONFIG_DIR, else ~/.claude (HOME first)', () => {
    const cases: [Record<string, string>, string][] = [
      [{ CLAUDE_CONFIG_DIR: '/cfg', HOME: '/h' }, '/cfg/settings.json'],
      [{ CLAUDE_CONFIG_DIR: '', HOME: '/h' }, '/h/.claude/settings.json'],
      [{ HOME: '/h' }, '/h/.claude/settings.json'],
      [{}, '/home/os/.claude/settings.json'],
    ];
    for (const [env, expected] of cases) {
      assert.equal(claudeSettingsPath({ ...base, env }), expected, JSON.stringify(env));
    }
  });
});

describe('planInstall / planUninstall', () => {
  const styles: [string, string][] = [
    ['2 spaces', userFile(2)],
    ['4 spaces', userFile(4)],
    ['tabs', userFile('\t')],
    ['CRLF', userFile(2, '\r\n')],
    ['no trailing newline', userFile(2, '\n', '')],
    ['one line', userFile(0, '\n', '')],
  ];
  for (const [name, original] of styles) {
    it(`${name}: adds ours to all 4 events, keeps the rest, and removes exactly ours again`, () => {
      const installed = ok(planInstall(original, OURS));
      const value = JSON.parse(installed.text) as {
        model: string;
        permissions: unknown;
        hooks: Record<
          string,
          { matcher?: string; hooks: { command: string; timeout?: number }[] }[]
        >;
      };
      assert.equal(value.model, 'opus');
      assert.deepEqual(value.permissions, { allow: ['Bash(git status)'] });
      const stop = value.hooks['Stop'] ?? [];
      assert.deepEqual(stop[0], { hooks: [USER_HOOK] });
      assert.deepEqual(stop[1], {
        hooks: [{ type: 'command', command: OURS, timeout: 10 }],
      });
      assert.deepEqual(value.hooks['PreToolUse'], [{ matcher: 'Bash', hooks: [USER_HOOK] }]);
      for (const event of ['StopFailure', 'SessionStart', 'SessionEnd']) {
        assert.deepEqual(value.hooks[event], [
          { matcher: '', hooks: [{ type: 'command', command: OURS, timeout: 10 }] },
        ]);
      }
      assert.ok(installed.text.startsWith(original.slice(0, original.indexOf('"hooks"'))));
      assert.equal(installed.text.endsWith('\n'), original.endsWith('\n'));
      if (original.includes('\r\n')) assert.doesNotMatch(installed.text, /[^\r]\n/);
      if (original.includes('\t')) assert.doesNotMatch(installed.text, /^ +"/m);
      assert.deepEqual(installed.created, {
        hooksObject: false,
        events: ['StopFailure', 'SessionStart', 'SessionEnd'],
      });

      const removed = ok(planUninstall(installed.text, installed.created));
      assert.equal(removed.text, original);
      assert.deepEqual(Object.values(removed.actions), [
        'removed',
        'removed',
        'removed',
        'removed',
      ]);
    });
  }

  it('comments survive, and a round trip gives the same bytes', () => {
    const original =
      '// mine\n{\n  "model": "opus", // favourite\n  /* no hooks yet */\n  "env": {}\n}\n';
    const installed = ok(planInstall(original, OURS));
    assert.match(
      installed.text,
      /^\/\/ mine\n\{\n {2}"model": "opus", \/\/ favourite\n {2}\/\* no hooks yet \*\/\n/,
    );
    assert.equal(ok(planUninstall(installed.text, installed.created)).text, original);
  });

  it('is idempotent: a second install returns the same text and changes nothing', () => {
    const once = ok(planInstall(userFile(2), OURS));
    const twice = ok(planInstall(once.text, OURS));
    assert.equal(twice.text, once.text);
    assert.deepEqual(
      Object.values(twice.actions),
      CLAUDE_HOOK_EVENTS.map(() => 'unchanged'),
    );
  });

  it('an install from another path updates our command in place', () => {
    const once = ok(planInstall(userFile(2), OURS));
    const moved = ok(planInstall(once.text, MOVED));
    assert.equal(moved.text, once.text.replaceAll(OURS, MOVED));
    assert.deepEqual(
      Object.values(moved.actions),
      CLAUDE_HOOK_EVENTS.map(() => 'updated'),
    );
  });

  it('a missing or empty file becomes a file with only our hooks, which uninstall empties again', () => {
    for (const original of ['', '\n', '{}', '{}\n']) {
      const installed = ok(planInstall(original, OURS));
      assert.deepEqual(installed.created, { hooksObject: true, events: [...CLAUDE_HOOK_EVENTS] });
      assert.match(installed.text, /^\{\n {2}"hooks": \{\n {4}"StopFailure": \[\n/);
      const removed = ok(planUninstall(installed.text, installed.created));
      assert.equal(removed.text.replace(/\s/g, ''), '{}');
    }
  });

  it('uninstall keeps containers it did not create, and groups holding a user hook', () => {
    const shared = JSON.stringify(
      {
        hooks: {
          SessionEnd: [{ matcher: '', hooks: [USER_HOOK, { type: 'command', command: OURS }] }],
        },
      },
      null,
      2,
    );
    const removed = ok(planUninstall(shared, { hooksObject: false, events: [] }));
    assert.deepEqual(JSON.parse(removed.text), {
      hooks: { SessionEnd: [{ matcher: '', hooks: [USER_HOOK] }] },
    });
    const onlyOurs = ok(
      planUninstall(ok(planInstall('{}', OURS)).text, { hooksObject: false, events: [] }),
    );
    assert.deepEqual(JSON.parse(onlyOurs.text), {
      hooks: { StopFailure: [], Stop: [], SessionStart: [], SessionEnd: [] },
    });
  });

  it('uninstall without any of ours changes nothing', () => {
    const original = userFile(2);
    const removed = ok(planUninstall(original, { hooksObject: true, events: ['Stop'] }));
    assert.equal(removed.text, original);
    assert.deepEqual(Object.values(removed.actions), ['absent', 'absent', 'absent', 'absent']);
  });

  it('invalid JSON and shapes it cannot merge into are problems with a position', () => {
    const bad = planInstall('{\n  "model": "opus",\n  "hooks" {}\n}\n', OURS);
    assert.deepEqual(bad, {
      ok: false,
      message: 'invalid JSON (ColonExpected)',
      line: 3,
      column: 11,
    });
    const cases: [string, string][] = [
      ['[]', 'the top level is not a JSON object'],
      ['{"hooks": []}', '"hooks" is not a JSON object'],
      ['{"hooks": {"Stop": {}}}', '"hooks.Stop" is not a JSON array'],
      ['{"a": 1,}', 'invalid JSON (PropertyNameExpected)'],
    ];
    for (const [text, message] of cases) {
      const result = planInstall(text, OURS);
      assert.equal(result.ok, false, text);
      assert.equal(result.message, message, text);
    }
  });

  it('installedHooks lists our commands per event', () => {
    const text = ok(planInstall(userFile(2), OURS)).text;
    const found = installedHooks(text);
    assert.ok(found.ok);
    assert.deepEqual(
      found.events.map((e) => [e.event, e.commands]),
      CLAUDE_HOOK_EVENTS.map((event) => [event, [OURS]]),
    );
    const none = installedHooks('');
    assert.ok(none.ok && none.events.every((e) => e.commands.length === 0));
  });
});
