import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CodexScreen, composerText, readCodexScreen, retryOnScreen } from './tui-screen.js';

// Lines as `tmux capture-pane -e -p` gave them from Codex 0.171.0 (test/codex-tmux.test.ts drives
// the real thing); E is the escape character.
const E = '\u001b';
const RESET = `${E}[0m${E}[39m${E}[49m`;
const COMPOSER_IDLE = `${E}[1m›${RESET} ${E}[2mAsk Codex to do anything`;
const FOOTER = [
  RESET,
  `  ${E}[38;5;223mfake-model default${E}[39m · ${E}[38;5;151m~/project${E}[39m · ${E}[38;5;116mhello`,
  `${E}[39m  ${E}[1m←${RESET} for agents · ${E}[1m?${RESET} for shortcuts          ⚠ ${E}[38;5;179m1 warning${E}[39m · ${E}[1mf2${RESET} to view`,
];
const HISTORY = [
  '  >_ OpenAI Codex (v0.171.0)',
  '     ~/project',
  '',
  `${E}[1;2m› ${E}[0m${E}[38;5;255m${E}[48;5;238mhello`,
  '',
  '• Fake answer #1 (you said: hello)',
  '',
  '  Worked for <1s • 13:48',
  '',
];
const LIMIT = `${E}[38;5;1m■ You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at 2:39 PM.`;
const MODAL = [
  LIMIT,
  `${E}[39m`,
  `  ${E}[1mApproaching rate limits`,
  `${RESET}  ${E}[2mSwitch to gpt-6-luna for lower credit usage?`,
  RESET,
  `${E}[1;7m› 1. Switch to gpt-6-luna                   ${E}[0;7m${E}[39m${E}[49mFast and affordable model for easier tasks.${E}[1m`,
  `${RESET}  2. Keep current model`,
  `  3. Keep current model (never show again)  ${E}[2mHide future rate limit reminders about switching models`,
  RESET,
  `  ${E}[1menter${E}[0;2m${E}[39m${E}[49m select · ${E}[0;1m${E}[39m${E}[49mesc${E}[0;2m${E}[39m${E}[49m back`,
];
const TRUST = [
  '',
  '  Folder access',
  '  ~/untrusted',
  '',
  '  Trust this folder? Codex can read, edit, and run files here, subject to your permission settings. Folder settings can run code automatically, even without a model request. Continue only if you',
  '  trust these files. Your trust decision will be saved.',
  '',
  '› 1. Trust and continue',
  '  2. Back to Agent Command Center',
  '',
  '  enter continue · esc back',
];
const APPROVAL = [
  '• Running touch /tmp/escalated-file',
  '',
  '  Would you like to run the following command?',
  '',
  '  Environment: local',
  '  Reason: need to write outside the workspace',
  '',
  '  $ touch /tmp/escalated-file',
  '',
  '› 1. Yes, proceed (y)',
  "  2. Yes, and don't ask again for commands that start with `touch /tmp/escalated-file` (p)",
  '  3. No, and tell Codex what to do differently (esc)',
  '',
  '  Press enter to confirm or esc to cancel',
];

const screen = (...lines: string[]): string => [...lines, ''].join('\n');
const idleScreen = (...middle: string[]): string =>
  screen(...HISTORY, ...middle, COMPOSER_IDLE, ...FOOTER);

const cases: { name: string; screen: string; title: string; want: CodexScreen }[] = [
  {
    name: 'idle at the prompt',
    screen: idleScreen(),
    title: 'hello | project',
    want: { kind: 'idle' },
  },
  {
    name: 'idle before any prompt (title: the folder only)',
    screen: screen('  >_ OpenAI Codex (v0.171.0)', COMPOSER_IDLE, ...FOOTER),
    title: 'project',
    want: { kind: 'idle' },
  },
  {
    name: 'streaming an answer: the screen looks idle, the title spins',
    screen: idleScreen('• word0 word1 wo'),
    title: '⠦ hello | project',
    want: { kind: 'working' },
  },
  {
    name: 'waiting for the first token',
    screen: idleScreen('• Working (0s • esc to interrupt)'),
    title: 'hello | project',
    want: { kind: 'working' },
  },
  {
    name: 'sleeping on a 429 retry',
    screen: idleScreen(
      '• Server is busy, reconnecting 1/5 (1s • esc to interrupt)',
      '  └ Exceeded retry limit, last status: 429 Too Many Requests, request id: req_fake_4',
    ),
    title: '⠧ hello | project',
    want: { kind: 'working' },
  },
  {
    name: 'the rate-limit modal',
    screen: screen(...HISTORY, ...MODAL),
    title: 'hello | project',
    want: { kind: 'rate-limit-modal', option: '2' },
  },
  {
    name: 'the usage-limit message once the modal is gone',
    screen: idleScreen(LIMIT),
    title: 'hello | project',
    want: { kind: 'idle' },
  },
  {
    name: 'the trust dialog',
    screen: screen('  >_ OpenAI Codex (v0.171.0)', ...TRUST),
    title: '',
    want: { kind: 'dialog', name: 'the trust dialog' },
  },
  {
    name: 'a command approval',
    screen: screen(...HISTORY, ...APPROVAL),
    title: '[ ! ] Action Required | run the tool | project',
    want: { kind: 'dialog', name: 'an approval prompt' },
  },
  {
    name: 'a command approval, title not set',
    screen: screen(...HISTORY, ...APPROVAL),
    title: 'vm',
    want: { kind: 'dialog', name: 'an approval prompt' },
  },
  {
    name: 'another selection list',
    screen: screen(...HISTORY, '  Select Model', '› 1. fake-model (current)', '  2. other-model'),
    title: 'hello | project',
    want: { kind: 'dialog', name: 'a menu' },
  },
  {
    name: 'a draft the user is typing',
    screen: screen(...HISTORY, `${E}[1m›${RESET} half typed`, ...FOOTER.slice(0, 2)),
    title: 'hello | project',
    want: { kind: 'draft', text: 'half typed' },
  },
  {
    name: 'the answer asks a question and mentions the dialogs',
    screen: idleScreen(
      '• Would you like to add tests? The trust dialog says "Trust this folder?" and',
      '  Approaching rate limits is the title of a modal.',
    ),
    title: 'hello | project',
    want: { kind: 'idle' },
  },
  {
    name: 'Codex killed: its composer line stays above the shell (the foreground check refuses)',
    screen: screen('› Killed', 'root@vm:~/project# '),
    title: 'vm',
    want: { kind: 'draft', text: 'Killed' },
  },
  {
    name: 'no composer at all',
    screen: screen('$ ls', 'README.md', '$ '),
    title: 'vm',
    want: { kind: 'unknown' },
  },
];

describe('readCodexScreen (Codex 0.171 TUI screens)', () => {
  for (const c of cases)
    it(c.name, () => {
      assert.deepEqual(readCodexScreen(c.screen, c.title), c.want);
    });
});

describe('composerText', () => {
  it('is empty for the dim placeholder and the text for a draft', () => {
    assert.equal(composerText(COMPOSER_IDLE), '');
    assert.equal(composerText(`${E}[1m›${RESET} continue`), 'continue');
    assert.equal(composerText(`${E}[1m›${RESET}`), '');
  });

  it('reads the last "›" line: sent prompts above it are history', () => {
    assert.equal(composerText(screen(`${E}[1;2m› ${E}[0mhello`, COMPOSER_IDLE)), '');
    assert.equal(composerText('no prompt here'), undefined);
  });
});

describe('retryOnScreen', () => {
  it('reads the attempt from the status line while Codex waits to retry, nothing otherwise', () => {
    const waiting = [
      '› fix the parser',
      '',
      '• Server is busy, reconnecting 2/5 (3s • esc to interrupt)',
      '',
      '› \u001b[2mAsk Codex to do anything\u001b[0m',
    ].join('\n');
    assert.deepEqual(retryOnScreen(waiting), {
      attempt: 2,
      of: 5,
      line: 'Server is busy, reconnecting 2/5 (3s • esc to interrupt)',
    });
    assert.equal(retryOnScreen('• Working (0s • esc to interrupt)'), undefined);
    // A prompt that mentions reconnecting is not a status line.
    assert.equal(retryOnScreen('› why does it say reconnecting 1/5?'), undefined);
  });
});
