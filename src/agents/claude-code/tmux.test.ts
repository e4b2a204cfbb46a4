import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIMIT_MENU } from './tmux.js';

describe('the tmux guard against answering a limit menu', () => {
  it('sees numbered plan and usage options', () => {
    for (const screen of [
      '  ❯ 1. Stop and wait for limit to reset\n    2. Upgrade your plan',
      '> 2. Request more usage from your admin',
      '  1. Switch to extra usage',
    ])
      assert.match(screen, LIMIT_MENU);
  });

  it('ignores ordinary conversation text', () => {
    for (const screen of [
      '> Upgrade the dependency to version 2.',
      'API Error: Request rejected (429) · Rate limited',
      '1. parse the file\n2. write the tests',
      "You've hit your limit · resets 4am",
    ])
      assert.doesNotMatch(screen, LIMIT_MENU);
  });
});
