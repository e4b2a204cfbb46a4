import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupKey, tomlValueFor } from './config-key.js';
import { setTomlValue } from './toml-set.js';

describe('setTomlValue', () => {
  const cases: [string, string, string, string, string, string][] = [
    [
      'replaces the value in place, keeping comments',
      '# top\n[http]\n# the port\nport = 7654 # why\nhost = "x"\n',
      'http',
      'port',
      '8080',
      '# top\n[http]\n# the port\nport = 8080 # why\nhost = "x"\n',
    ],
    [
      'adds a missing key after the last key of its section',
      '[http]\nhost = "x" # mine\n\n# next\n[daemon]\nlog_level = "info"\n',
      'http',
      'port',
      '8080',
      '[http]\nhost = "x" # mine\nport = 8080\n\n# next\n[daemon]\nlog_level = "info"\n',
    ],
    [
      'adds a key right under an empty section header',
      '[http] # empty\n[daemon]\n',
      'http',
      'port',
      '1',
      '[http] # empty\nport = 1\n[daemon]\n',
    ],
    [
      'adds a missing section at the end',
      '# only a comment',
      'http',
      'port',
      '1',
      '# only a comment\n\n[http]\nport = 1\n',
    ],
    [
      'starts an empty file',
      '',
      'daemon',
      'log_level',
      '"debug"',
      '[daemon]\nlog_level = "debug"\n',
    ],
    ['edits a dotted top-level key', 'http.port = 1\n', 'http', 'port', '2', 'http.port = 2\n'],
    [
      'keeps CRLF line ends',
      '[http]\r\nhost = "x"\r\n',
      'http',
      'port',
      '3',
      '[http]\r\nhost = "x"\r\nport = 3\r\n',
    ],
  ];
  for (const [name, text, section, key, value, expected] of cases) {
    it(name, () => {
      assert.deepEqual(setTomlValue(text, section, key, value), { ok: true, text: expected });
    });
  }

  it('refuses an inline table and text that is not TOML', () => {
    const inline = setTomlValue('http = { host = "x" }\n', 'http', 'port', '1');
    assert.equal(inline.ok, false);
    assert.equal(setTomlValue('[http\n', 'http', 'port', '1').ok, false);
  });
});

describe('lookupKey and tomlValueFor', () => {
  it('names an unknown key and what exists instead', () => {
    const unknownKey = lookupKey('http.prot');
    assert.equal(unknownKey.ok, false);
    assert.match(unknownKey.message, /unknown key "http\.prot": \[http\] has enabled, host, port/);
    const unknownSection = lookupKey('otel.metrics.x');
    assert.equal(unknownSection.ok, false);
    assert.match(unknownSection.message, /sections: daemon, http, /);
  });

  it('reads TOML the key accepts, else a string', () => {
    const field = (dotted: string) => {
      const found = lookupKey(dotted);
      assert.ok(found.ok);
      return found.field;
    };
    const table: [string, string, string][] = [
      ['http.port', '8080', '8080'],
      ['http.enabled', 'false', 'false'],
      ['http.host', '127.0.0.1', '"127.0.0.1"'],
      ['http.host', '"::1"', '"::1"'],
      ['daemon.log_level', 'debug', '"debug"'],
      ['resume.handoff_file', '2026', '"2026"'], // a number is TOML, but the key wants text
      ['resume.margin_seconds', '1.5', '1.5'],
      ['http.port', 'eighty', '"eighty"'], // neither fits: validation reports it
      ['resume.continue_prompt', 'go on\nhttp.port = 1', '"go on\\nhttp.port = 1"'],
    ];
    for (const [dotted, raw, expected] of table) {
      assert.equal(tomlValueFor(raw, field(dotted)), expected, `${dotted} ${raw}`);
    }
  });
});
