// What the Codex TUI draws, as seen on Codex 0.171.0 in tmux 3.3a (`capture-pane -e -p`, 200×50):
// pure text → state, so a new Codex version is an edit of CODEX_TUI and its table test.

/** Texts of the Codex TUI. All in one place: a new Codex version is one edit here. */
export const CODEX_TUI = {
  /**
   * The terminal title (`#{pane_title}`) while a turn runs: a braille spinner frame before the
   * thread title, "⠹ fix the bug | project". While the answer streams it is the only sign: the
   * status line is hidden then, and the screen looks idle.
   */
  busyTitle: /^[\u2801-\u28ff]\s/u,
  /** The title while an approval waits: "[ ! ] Action Required | fix the bug | project". */
  actionTitle: /^\[\s*!\s*\]\s*Action Required/i,
  /**
   * The status line while waiting for the model or sleeping on a retry: "• Working (0s • esc to
   * interrupt)", "• Server is busy, reconnecting 1/5 (3s • esc to interrupt)".
   */
  working: /\besc to interrupt\)/,
  /** Codex waiting to retry inside the turn, in that status line: "reconnecting 1/5". */
  reconnecting: /\breconnecting\s+(\d+)\s*\/\s*(\d+)/i,
  /**
   * The model-switch modal after a usage limit, under "■ You’ve hit your usage limit. …":
   * "Approaching rate limits / Switch to gpt-6-luna for lower credit usage? / › 1. Switch to
   * gpt-6-luna … / 2. Keep current model / 3. Keep current model (never show again) … / enter
   * select · esc back". A digit picks its option at once.
   */
  rateLimitModal: /^\s*Approaching rate limits\s*$/m,
  keepOption: /^\s*(?:›\s*)?(\d)\.\s+Keep current model\s*$/m,
  /** The hint under a selection list, the modal's last line. */
  selectHint: /enter select · esc back\s*$/,
  /**
   * First start in an untrusted git folder: "Folder access / <path> / Trust this folder? Codex can
   * read, edit, and run files here … › 1. Trust and continue / 2. Back to Agent Command Center /
   * enter continue · esc back".
   */
  trust: /^\s*Trust this folder\?/m,
  /**
   * The last line of an approval: "Would you like to run the following command? … › 1. Yes,
   * proceed (y) / 2. Yes, and don't ask again … (p) / 3. No, and tell Codex what to do
   * differently (esc) / Press enter to confirm or esc to cancel". Letters answer it too: typed
   * text would approve commands.
   */
  approvalHint: /Press enter to confirm or esc to cancel\s*$/,
  /** Any other list: a selected numbered option, or a last line hinting enter and esc. */
  menuOption: /^\s*›\s*\d+\.\s/m,
  menuHint: /\benter\b.*\besc\b/,
  /**
   * The composer: the last line starting with "›". Empty, it shows a dim placeholder ("Ask Codex
   * to do anything"); text the user typed is not dim. Sent prompts above it are "› text" too.
   */
  composer: /^›(?: (.*))?$/,
} as const;

/** What a Codex pane shows, from its screen (with SGR escapes) and its title. */
export type CodexScreen =
  | { readonly kind: 'idle' }
  /** `option` is the digit that picks "Keep current model". */
  | { readonly kind: 'rate-limit-modal'; readonly option: string }
  | { readonly kind: 'working' }
  | { readonly kind: 'dialog'; readonly name: string }
  /** The composer holds text nobody sent. */
  | { readonly kind: 'draft'; readonly text: string }
  | { readonly kind: 'unknown' };

/** A Select Graphic Rendition escape (colour, bold, dim), as `capture-pane -e` keeps them. */
const SGR = new RegExp(`${String.fromCharCode(27)}\\[([0-9;]*)m`, 'g');

/** Pure: classifies a `capture-pane -e -p` screen and `#{pane_title}`. */
export function readCodexScreen(screen: string, title: string): CodexScreen {
  const text = plain(screen);
  const last = text.split('\n').findLast((line) => line.trim() !== '') ?? '';
  const ui = CODEX_TUI;
  if (ui.actionTitle.test(title) || ui.approvalHint.test(last))
    return { kind: 'dialog', name: 'an approval prompt' };
  if (ui.trust.test(text)) return { kind: 'dialog', name: 'the trust dialog' };
  if (ui.busyTitle.test(title) || ui.working.test(text)) return { kind: 'working' };
  const option = ui.keepOption.exec(text)?.[1];
  if (ui.rateLimitModal.test(text) && option !== undefined && ui.selectHint.test(last))
    return { kind: 'rate-limit-modal', option };
  if (ui.menuOption.test(text) || ui.menuHint.test(last)) return { kind: 'dialog', name: 'a menu' };
  const draft = composerText(screen);
  if (draft === undefined) return { kind: 'unknown' };
  return draft === '' ? { kind: 'idle' } : { kind: 'draft', text: draft };
}

/**
 * Codex waiting inside a running turn to retry ("• Server is busy, reconnecting 1/5 (3s • esc to
 * interrupt)"): the attempt, and the status line. PURE.
 */
export function retryOnScreen(
  screen: string,
): { readonly attempt: number; readonly of: number; readonly line: string } | undefined {
  const line = plain(screen)
    .split('\n')
    .find((l) => CODEX_TUI.working.test(l) && CODEX_TUI.reconnecting.test(l));
  const m = line === undefined ? null : CODEX_TUI.reconnecting.exec(line);
  if (line === undefined || m?.[1] === undefined || m[2] === undefined) return undefined;
  return { attempt: Number(m[1]), of: Number(m[2]), line: line.trim().replace(/^•\s*/, '') };
}

/** The composer's text: '' when it shows only its dim placeholder, undefined when not found. */
export function composerText(screen: string): string | undefined {
  const raw = screen.split('\n').findLast((line) => CODEX_TUI.composer.test(plain(line)));
  if (raw === undefined) return undefined;
  let dim = false;
  let at = 0;
  let typed = '';
  for (const match of raw.matchAll(SGR)) {
    typed += visible(raw.slice(at, match.index), dim);
    dim = nextDim(dim, match[1] ?? '');
    at = match.index + match[0].length;
  }
  typed += visible(raw.slice(at), dim);
  return typed.replace(/^›/, '').trim();
}

function plain(text: string): string {
  return text.replace(SGR, '');
}

function visible(chunk: string, dim: boolean): string {
  return dim ? ' '.repeat(chunk.length) : chunk;
}

/** SGR 2 turns dim on; 0 (or empty) and 22 turn it off. */
function nextDim(dim: boolean, params: string): boolean {
  let on = dim;
  for (const code of params === '' ? ['0'] : params.split(';')) {
    if (code === '2') on = true;
    if (code === '0' || code === '22') on = false;
  }
  return on;
}
