import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText } from './parse.js';
import { configDir, resolveConfigLocation, stateDir, type PathEnv } from './paths.js';
import { REDACTED, redactSecrets, renderConfigToml, renderDefaultConfigFile } from './render.js';
import { defaultConfig } from './schema.js';

describe('defaults', () => {
  it('an empty file gives the documented defaults', () => {
    const result = parseConfigText('');
    assert.ok(result.ok);
    const { daemon, http, otel, opencode, resume, metrics } = result.config;
    assert.deepEqual(
      { daemon, http, otel, opencode },
      {
        daemon: { log_level: 'info' },
        http: { enabled: true, host: '127.0.0.1', port: 7654, token: '', token_file: '' },
        otel: {
          metrics_enabled: true,
          traces_enabled: false,
          logs_enabled: false,
          endpoint: 'http://127.0.0.1:4318',
          service_name: 'palingenesis',
          headers: {},
        },
        opencode: {
          enabled: true,
          url: 'http://127.0.0.1:4096',
          username: 'opencode',
          password: '',
          manage: false,
          binary: 'opencode',
          serve_hostname: '127.0.0.1',
          serve_port: 4096,
          directory: '',
        },
      },
    );
    assert.equal(resume.margin_seconds, 30);
    assert.equal(resume.max_retries, 5);
    assert.equal(resume.handoff_file, 'Next-step.md');
    assert.equal(resume.backup_before_new, true);
    assert.equal(metrics.manual_restart_time_seconds, 300);
  });

  it('a partial section keeps the defaults of the keys it omits', () => {
    const result = parseConfigText('[http]\nport = 9000\n');
    assert.ok(result.ok);
    assert.deepEqual(result.config.http, {
      enabled: true,
      host: '127.0.0.1',
      port: 9000,
      token: '',
      token_file: '',
    });
  });

  it('metrics can be switched off', () => {
    const result = parseConfigText('[otel]\nmetrics_enabled = false\n');
    assert.ok(result.ok);
    assert.equal(result.config.otel.metrics_enabled, false);
  });

  it('dotted keys and inline tables are accepted', () => {
    const result = parseConfigText('http.port = 1\notel = { metrics_enabled = false }\n');
    assert.ok(result.ok);
    assert.equal(result.config.http.port, 1);
    assert.equal(result.config.otel.metrics_enabled, false);
  });
});

describe('invalid files name the key and the line', () => {
  const cases: [string, string, { key: string; line?: number; message: RegExp }[]][] = [
    [
      'wrong type',
      '[daemon]\nlog_level = "info"\n\n[http]\nport = "7654"\n',
      [{ key: 'http.port', line: 5, message: /expected number/ }],
    ],
    [
      'unknown key in a section',
      '[http]\nenabled = true\nprot = 80\n',
      [{ key: 'http.prot', line: 3, message: /unknown key/ }],
    ],
    [
      'unknown section',
      '\n[metricz]\nenabled = true\n',
      [{ key: 'metricz', line: 2, message: /unknown key/ }],
    ],
    ['out of range', '[http]\nport = 70000\n', [{ key: 'http.port', line: 2, message: /65535/ }]],
    [
      'bad enum value',
      '[daemon]\nlog_level = "loud"\n',
      [{ key: 'daemon.log_level', line: 2, message: /"info"/ }],
    ],
    [
      'a section that is not a table',
      'http = 5\n',
      [{ key: 'http', line: 1, message: /expected object/ }],
    ],
    [
      'every problem at once',
      '[http]\nport = -1\nhost = ""\nextra = 1\n[otel]\nmetrics_enabled = "yes"\n',
      [
        { key: 'http.host', line: 3, message: /.+/ },
        { key: 'http.port', line: 2, message: />=0|0/ },
        { key: 'http.extra', line: 4, message: /unknown key/ },
        { key: 'otel.metrics_enabled', line: 6, message: /expected boolean/ },
      ],
    ],
    [
      'a token with a space (the message does not echo it)',
      '[http]\ntoken = "two words"\n',
      [{ key: 'http.token', line: 2, message: /^visible ASCII characters only, no spaces$/ }],
    ],
    [
      'a relative token_file',
      '[http]\ntoken_file = "token.txt"\n',
      [{ key: 'http.token_file', line: 2, message: /absolute path/ }],
    ],
    [
      'OpenTelemetry: a bad endpoint, an empty service name, a bad header name and value',
      [
        '[otel]',
        'traces_enabled = "yes"',
        'endpoint = "grpc://127.0.0.1:4317"',
        'service_name = ""',
        '[otel.headers]',
        'Authorization = "Bearer a\\nb"',
        '"x y" = "1"',
        'n = 5',
        '',
      ].join('\n'),
      [
        { key: 'otel.traces_enabled', line: 2, message: /expected boolean/ },
        { key: 'otel.endpoint', line: 3, message: /URL/ },
        { key: 'otel.service_name', line: 4, message: />=1/ },
        // The value is a secret: the message must not echo it.
        { key: 'otel.headers.Authorization', line: 6, message: /^visible ASCII characters/ },
        { key: 'otel.headers.x y', line: 7, message: /^not a valid HTTP header name$/ },
        { key: 'otel.headers.n', line: 8, message: /expected string/ },
      ],
    ],
    [
      'an OTLP endpoint with a query',
      'otel.endpoint = "http://collector:4318/?a=1"\n',
      [{ key: 'otel.endpoint', line: 1, message: /query/ }],
    ],
    ['TOML syntax error', '[http]\nport = \n', [{ key: '', line: 2, message: /TOML syntax/ }]],
    [
      'duplicate key',
      '[http]\nport = 1\nport = 2\n',
      [{ key: '', line: 3, message: /TOML syntax/ }],
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => {
      const result = parseConfigText(text);
      if (result.ok) assert.fail('expected the file to be rejected');
      const sorted = [...result.issues].sort((a, b) => a.key.localeCompare(b.key));
      const want = [...expected].sort((a, b) => a.key.localeCompare(b.key));
      assert.equal(sorted.length, want.length, JSON.stringify(result.issues));
      want.forEach((w, i) => {
        const got = sorted[i];
        assert.ok(got);
        assert.equal(got.key, w.key);
        assert.equal(got.line, w.line);
        assert.match(got.message, w.message);
      });
    });
  }
});

describe('paths', () => {
  const base: PathEnv = { env: { HOME: '/home/u' }, platform: 'linux', homeDir: '/nope' };

  it('--config wins over the environment and the default', () => {
    const env = { ...base, env: { ...base.env, PALINGENESIS_CONFIG: '/env.toml' } };
    assert.deepEqual(resolveConfigLocation('/flag.toml', env), {
      path: '/flag.toml',
      source: 'flag',
    });
    assert.deepEqual(resolveConfigLocation(undefined, env), { path: '/env.toml', source: 'env' });
  });

  it('the default honours XDG_CONFIG_HOME, then HOME, per platform', () => {
    assert.equal(
      resolveConfigLocation(undefined, base).path,
      '/home/u/.config/palingenesis/config.toml',
    );
    assert.equal(
      configDir({ ...base, env: { HOME: '/home/u', XDG_CONFIG_HOME: '/x' } }),
      '/x/palingenesis',
    );
    assert.equal(
      configDir({ ...base, platform: 'darwin' }),
      '/home/u/Library/Application Support/palingenesis',
    );
  });

  it('state lives under XDG_STATE_HOME or ~/.local/state', () => {
    assert.equal(stateDir(base), '/home/u/.local/state/palingenesis');
    assert.equal(stateDir({ ...base, env: { XDG_STATE_HOME: '/s' } }), '/s/palingenesis');
  });
});

describe('rendering', () => {
  it('the default file parses back to the defaults and documents every key', () => {
    const text = renderDefaultConfigFile();
    const result = parseConfigText(text);
    assert.deepEqual(result, { ok: true, config: defaultConfig() });
    for (const key of [
      'log_level',
      'enabled',
      'host',
      'port',
      'metrics_enabled',
      'url',
      'password',
      'continue_prompt',
      'margin_seconds',
      'manual_restart_time_seconds',
    ]) {
      assert.match(text, new RegExp(`# .+\\n${key} = `), key);
    }
  });

  it('redacts values whose key names a secret, at any depth', () => {
    const redacted = redactSecrets({
      http: { token: 'abc', token_file: '/run/token', host: 'h' },
      notify: [{ webhook_url: 'https://x/y' }],
      opencode: { password: '' },
    });
    assert.deepEqual(redacted, {
      http: { token: REDACTED, token_file: '/run/token', host: 'h' },
      notify: [{ webhook_url: REDACTED }],
      opencode: { password: '' },
    });
  });

  it('every value of otel.headers is a secret, whatever its name; elsewhere headers are not', () => {
    const parsed = parseConfigText(
      '[otel]\nheaders = { Authorization = "Bearer abc", "X-Scope-OrgID" = "t1" }\n',
    );
    assert.ok(parsed.ok);
    assert.deepEqual(redactSecrets(parsed.config).otel.headers, {
      Authorization: REDACTED,
      'X-Scope-OrgID': REDACTED,
    });
    const shown = renderConfigToml(parsed.config);
    assert.doesNotMatch(shown, /Bearer abc|t1/);
    assert.match(shown, /^\[otel\.headers\]\nAuthorization = "<redacted>"$/m);
    // An event's evidence keeps a provider's headers (retry-after is what the wait is based on).
    const evidence = { evidence: { headers: { 'retry-after': '5' } } };
    assert.deepEqual(redactSecrets(evidence), evidence);
  });

  it('the default file writes a table key inline, so it stays in its section', () => {
    assert.match(renderDefaultConfigFile(), /^\[otel\]\n(?:.*\n)*?headers = \{\}\n/m);
  });
});
