import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHANNELS_EXAMPLE, DEFAULT_STOP_REASONS, NOTIFY_EVENTS } from './notifications-schema.js';
import { parseConfigText, type ConfigIssue } from './parse.js';
import { REDACTED, redactSecrets, renderConfigToml, renderDefaultConfigFile } from './render.js';

const EVERY_TYPE = `
[notifications]
timezone = "Europe/Paris"

${CHANNELS_EXAMPLE}
`;

describe('[notifications]', () => {
  it('defaults: enabled, the system zone, no channels', () => {
    const result = parseConfigText('');
    assert.ok(result.ok);
    assert.deepEqual(result.config.notifications, {
      enabled: true,
      timezone: '',
      max_attempts: 6,
      timeout_seconds: 10,
      channels: [],
    });
  });

  it('one channel of each type, with every default filled in', () => {
    const result = parseConfigText(EVERY_TYPE);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
    const channels = result.config.notifications.channels;
    assert.deepEqual(
      channels.map((c) => [c.name, c.type]),
      [
        ['phone', 'ntfy'],
        ['ops', 'webhook'],
        ['discord', 'discord'],
        ['slack', 'slack'],
        ['telegram', 'telegram'],
      ],
    );
    const [phone, ops, , , telegram] = channels;
    assert.ok(phone !== undefined && ops !== undefined && telegram?.type === 'telegram');
    assert.deepEqual(phone.events, [...NOTIFY_EVENTS]);
    assert.deepEqual(phone.stop_reasons, DEFAULT_STOP_REASONS);
    assert.deepEqual(ops.events, ['session.stopped', 'resume.gave_up', 'daemon.stopped']);
    assert.equal(telegram.chat_id, '123456789');
    assert.equal(telegram.api_base_url, 'https://api.telegram.org');
  });

  const cases: [string, string, { key: string; line: number; message: RegExp }[]][] = [
    [
      'an unknown type names the table',
      '[[notifications.channels]]\nname = "a"\ntype = "pager"\n',
      [{ key: 'notifications.channels[0].type', line: 3, message: /expected one of "webhook"/ }],
    ],
    [
      'a key of another type is unknown here',
      '[[notifications.channels]]\nname = "a"\ntype = "slack"\nurl = "https://x.example/"\n' +
        'bot_token = "1:A"\n',
      [{ key: 'notifications.channels[0].bot_token', line: 5, message: /unknown key/ }],
    ],
    [
      'a missing required key points at its table',
      '[notifications]\n\n[[notifications.channels]]\nname = "a"\ntype = "webhook"\n\n' +
        '[[notifications.channels]]\nname = "b"\ntype = "telegram"\nchat_id = 1\n',
      [
        { key: 'notifications.channels[0].url', line: 3, message: /expected string/ },
        { key: 'notifications.channels[1].bot_token', line: 7, message: /expected string/ },
      ],
    ],
    [
      'a bad value in the second table',
      '[[notifications.channels]]\nname = "a"\ntype = "discord"\nurl = "https://d.example/"\n\n' +
        '[[notifications.channels]]\nname = "b"\ntype = "ntfy"\nurl = "not a topic"\n' +
        'events = ["session.stopped", "lunch"]\n',
      [
        { key: 'notifications.channels[1].events[1]', line: 10, message: /expected one of/ },
        { key: 'notifications.channels[1].url', line: 9, message: /topic URL/ },
      ],
    ],
    [
      'duplicate names, a bad zone',
      '[notifications]\ntimezone = "Mars/Olympus"\n\n' +
        '[[notifications.channels]]\nname = "a"\ntype = "slack"\nurl = "https://s.example/"\n\n' +
        '[[notifications.channels]]\nname = "a"\ntype = "slack"\nurl = "https://s.example/"\n',
      [
        { key: 'notifications.timezone', line: 2, message: /IANA/ },
        { key: 'notifications.channels[1].name', line: 10, message: /duplicate channel name "a"/ },
      ],
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(`invalid: ${name}`, () => {
      const result = parseConfigText(text);
      assert.ok(!result.ok, name);
      assert.equal(result.issues.length, expected.length, JSON.stringify(result.issues));
      expected.forEach((want, i) => {
        const got: ConfigIssue | undefined = result.issues[i];
        assert.ok(got !== undefined);
        assert.equal(got.key, want.key, JSON.stringify(got));
        assert.equal(got.line, want.line, JSON.stringify(got));
        assert.match(got.message, want.message);
      });
    });
  }

  it('config show redacts every URL, secret and token of a channel, and keeps the rest', () => {
    const secrets = [
      'https://hooks.example/T/B/slack-secret',
      'hmac-secret',
      'https://ntfy.sh/secret-topic',
      'tk_ntfy',
      '123456:bot-secret',
      'https://discord.com/api/webhooks/1/discord-secret',
    ];
    const text =
      '[[notifications.channels]]\nname = "s"\ntype = "slack"\n' +
      `url = "${secrets[0]}"\n` +
      '[[notifications.channels]]\nname = "w"\ntype = "webhook"\n' +
      `url = "https://x.example/"\nsecret = "${secrets[1]}"\n` +
      '[[notifications.channels]]\nname = "n"\ntype = "ntfy"\n' +
      `url = "${secrets[2]}"\ntoken = "${secrets[3]}"\n` +
      '[[notifications.channels]]\nname = "t"\ntype = "telegram"\n' +
      `bot_token = "${secrets[4]}"\nchat_id = "@news"\n` +
      '[[notifications.channels]]\nname = "d"\ntype = "discord"\n' +
      `url = "${secrets[5]}"\n`;
    const result = parseConfigText(text);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
    const shown = renderConfigToml(result.config) + JSON.stringify(redactSecrets(result.config));
    for (const secret of secrets) assert.ok(!shown.includes(secret), secret);
    assert.ok(!shown.includes('x.example'));
    assert.match(shown, /chat_id = "@news"/);
    assert.match(shown, /api_base_url = "https:\/\/api.telegram.org"/);
    const [first] = redactSecrets(result.config).notifications.channels;
    assert.ok(first?.type === 'slack');
    assert.equal(first.url, REDACTED);
  });

  it('config init: the section, its keys, and the channel examples commented out; uncommented they parse', () => {
    const file = renderDefaultConfigFile();
    assert.match(file, /\n\[notifications\]\n/);
    assert.match(file, /\ntimezone = ""\n/);
    assert.match(file, /\n# \[\[notifications\.channels\]\]\n# name = "phone"\n/);
    assert.doesNotMatch(file, /^channels = /m);
    assert.ok(parseConfigText(file).ok);
    const uncommented = file.replace(
      /^# (\[\[notifications|name =|type =|url =|secret =|events =|bot_token =|chat_id =)/gm,
      '$1',
    );
    const result = parseConfigText(uncommented);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
    assert.equal(result.config.notifications.channels.length, 5);
  });
});
