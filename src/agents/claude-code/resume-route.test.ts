import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resumeRoute, type ResumeFacts } from './resume-route.js';

const base: ResumeFacts = { mode: 'auto', sessionId: 's1', running: false, directory: '/work/p' };
const idlePane = { pid: 7, tmuxPane: '%1', status: 'idle' };

describe('which way a Claude Code resume goes', () => {
  const cases: [string, Partial<ResumeFacts>, string][] = [
    ['notify never acts', { mode: 'notify', open: idlePane }, 'needs_user'],
    ['an idle interactive session in tmux is typed into', { open: idlePane }, 'tmux'],
    [
      'an open session is never forked headless',
      { mode: 'headless', open: idlePane },
      'needs_user',
    ],
    ['an open session outside tmux', { open: { pid: 7, status: 'idle' } }, 'needs_user'],
    [
      'a headless run still holding the session: later, never the user',
      { open: { pid: 7, status: 'idle', entrypoint: 'sdk-cli' } },
      'not_now',
    ],
    ['an open session that is busy', { open: { ...idlePane, status: 'busy' } }, 'needs_user'],
    ['tmux mode without a live process', { mode: 'tmux' }, 'needs_user'],
    ['a run of ours still going', { running: true }, 'not_now'],
    ['no directory known: not in the daemon’s cwd', { directory: undefined }, 'needs_user'],
    ['otherwise headless in the session’s directory', {}, 'headless'],
  ];
  for (const [name, facts, want] of cases) {
    it(`${name}: ${want}`, () => {
      const route = resumeRoute({ ...base, ...facts });
      assert.equal(route.kind, want);
      if (route.kind === 'headless') assert.equal(route.directory, '/work/p');
    });
  }
});
