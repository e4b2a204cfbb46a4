/** PURE: the forwarder command line an agent's hooks run, and reading one back. */

/** How our entries are recognised in a settings file, whatever path they were installed from. */
export const HOOK_MARKER = 'palingenesis-hook.js';

export interface HookCommandParts {
  /** The Node.js executable (absolute). */
  readonly node: string;
  /** The forwarder, `…/dist/palingenesis-hook.js` (absolute). */
  readonly script: string;
  readonly agent: string;
  /** The daemon's state dir: `daemon.json` and the spool live there (absolute). */
  readonly stateDir: string;
}

/** `'<node>' '<script>' <agent> --state-dir '<dir>'`, every path single-quoted for sh. */
export function buildHookCommand(parts: HookCommandParts): string {
  return [
    shellQuote(parts.node),
    shellQuote(parts.script),
    parts.agent,
    '--state-dir',
    shellQuote(parts.stateDir),
  ].join(' ');
}

export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export function isOurCommand(command: unknown): command is string {
  return typeof command === 'string' && command.includes(HOOK_MARKER);
}

/** Reads back a command in the shape `buildHookCommand` writes; undefined for any other shape. */
export function parseHookCommand(command: string): HookCommandParts | undefined {
  const words = shellWords(command);
  if (words?.length !== 5 || words[3] !== '--state-dir') return undefined;
  const [node, script, agent, , stateDir] = words as [string, string, string, string, string];
  return { node, script, agent, stateDir };
}

/** Splits sh words with single quotes and backslash escapes (enough for what we write). */
function shellWords(command: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const ch = command.charAt(i);
    if (ch === "'") {
      const close = command.indexOf("'", i + 1);
      if (close < 0) return undefined;
      word = (word ?? '') + command.slice(i + 1, close);
      i = close;
    } else if (ch === '\\' && i + 1 < command.length) {
      word = (word ?? '') + command.charAt(++i);
    } else if (ch === ' ' || ch === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === '"') {
      return undefined;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
