import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig } from '../config/schema.js';
import { diffConfig, liveView, mergeLive } from './reload.js';

describe('config reload', () => {
  it('splits changed keys into applied now and needing a restart', () => {
    const old = defaultConfig();
    const next = defaultConfig();
    next.resume.margin_seconds = 5;
    next.daemon.log_level = 'debug';
    next.http.port = 9999;
    next.claude_code.resume_mode = 'notify';
    assert.deepEqual(diffConfig(old, next), {
      applied: ['daemon.log_level', 'resume.margin_seconds'],
      needsRestart: ['http.port', 'claude_code.resume_mode'],
    });
    assert.deepEqual(diffConfig(old, defaultConfig()), { applied: [], needsRestart: [] });
  });

  it('OpenTelemetry export settings need a restart (the providers are built once)', () => {
    const next = defaultConfig();
    next.otel.traces_enabled = true;
    next.otel.headers = { Authorization: 'Bearer x' };
    const diff = diffConfig(defaultConfig(), next);
    assert.deepEqual(diff, { applied: [], needsRestart: ['otel.traces_enabled', 'otel.headers'] });
    assert.equal(mergeLive(defaultConfig(), next).otel.traces_enabled, false);
  });

  it('keeps what needs a restart as the daemon started, and the view follows the holder', () => {
    const holder = { current: defaultConfig() };
    const view = liveView(holder);
    const next = defaultConfig();
    next.resume.continue_prompt = 'go on';
    next.http.port = 1;
    holder.current = mergeLive(holder.current, next);
    assert.equal(view.resume.continue_prompt, 'go on');
    assert.equal(view.http.port, 7654);
    assert.deepEqual(Object.keys(view), Object.keys(defaultConfig()));
  });
});

describe('config reload: [http] security keys', () => {
  it('token and token_file apply live; host, port and enabled still need a restart', () => {
    const next = defaultConfig();
    next.http.token = 'new-token';
    next.http.token_file = '/etc/token';
    next.http.host = '0.0.0.0';
    next.http.port = 1;
    next.http.enabled = false;
    assert.deepEqual(diffConfig(defaultConfig(), next), {
      applied: ['http.token', 'http.token_file'],
      needsRestart: ['http.enabled', 'http.host', 'http.port'],
    });
    const merged = mergeLive(defaultConfig(), next);
    assert.deepEqual(merged.http, {
      ...defaultConfig().http,
      token: 'new-token',
      token_file: '/etc/token',
    });
  });
});
