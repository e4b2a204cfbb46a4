import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LiveCodex } from './live.js';
import { codexRoute, type RouteFacts } from './resume-route.js';

const THREAD = '01a23ad0-db08-7bb2-8e1f-b8e6dc0492f4';
const facts = (more: Partial<RouteFacts> = {}): RouteFacts => ({
  mode: 'auto',
  threadId: THREAD,
  ours: false,
  hold: { kind: 'free' },
  live: [],
  directory: '/work/project',
  ...more,
});
const tui = (more: Partial<LiveCodex> = {}): LiveCodex => ({
  pid: 42,
  kind: 'tui',
  threadId: THREAD,
  threads: [{ threadId: THREAD }],
  tmux: { socket: '/tmp/tmux.sock', pane: '%3' },
  ...more,
});

describe('codexRoute', () => {
  it('a thread nobody holds: headless in its directory, unless tmux or notify only', () => {
    assert.deepEqual(codexRoute(facts()), { kind: 'headless', directory: '/work/project' });
    assert.equal(codexRoute(facts({ mode: 'tmux' })).kind, 'needs_user');
    assert.equal(codexRoute(facts({ mode: 'notify' })).kind, 'needs_user');
    assert.equal(codexRoute(facts({ directory: undefined })).kind, 'needs_user');
  });

  it('an open TUI in tmux is typed into (auto, tmux), never by headless; outside tmux: the user', () => {
    const open = tui();
    const held = { kind: 'held', pid: 42 } as const;
    assert.deepEqual(codexRoute(facts({ live: [open], hold: held })), {
      kind: 'tmux',
      pid: 42,
      socket: '/tmp/tmux.sock',
      pane: '%3',
    });
    assert.equal(codexRoute(facts({ mode: 'tmux', live: [open], hold: held })).kind, 'tmux');
    assert.equal(
      codexRoute(facts({ mode: 'headless', live: [open], hold: held })).kind,
      'needs_user',
    );
    const outside = tui({ tmux: undefined });
    assert.match(
      String(Object.values(codexRoute(facts({ live: [outside], hold: held })))),
      /outside tmux/,
    );
  });

  it('a thread another process holds is never run twice', () => {
    const exec: LiveCodex = {
      pid: 7,
      kind: 'exec',
      threadId: THREAD,
      threads: [{ threadId: THREAD }],
    };
    assert.equal(
      codexRoute(facts({ live: [exec], hold: { kind: 'held', pid: 7 } })).kind,
      'not_now',
    );
    const server: LiveCodex = { pid: 8, kind: 'app-server', threads: [{ threadId: THREAD }] };
    const byServer = codexRoute(facts({ live: [server], hold: { kind: 'held', pid: 8 } }));
    assert.equal(byServer.kind, 'needs_user');
    assert.match(JSON.stringify(byServer), /app-server/);
    assert.equal(codexRoute(facts({ hold: { kind: 'held', pid: 9 } })).kind, 'needs_user');
    assert.equal(codexRoute(facts({ ours: true })).kind, 'not_now');
  });

  it('a TUI on another thread is not this one', () => {
    const other = tui({ threadId: 'other', threads: [{ threadId: 'other' }] });
    assert.equal(codexRoute(facts({ live: [other] })).kind, 'headless');
  });
});
