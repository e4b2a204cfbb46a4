import { basename } from 'node:path';

// The Codex CLI's command line (0.171.0, `codex --help`): which kind of process an argv is, and
// the thread it names. Pure; live.ts reads the argv from /proc.

/** What a Codex process is: a headless run, the interactive TUI, or the shared thread server. */
export type LiveCodexKind = 'exec' | 'tui' | 'app-server';

/** The native binary: `codex` (npm, Homebrew, cargo) or a release asset `codex-<target triple>`. */
export function isNativeCodex(argv: readonly string[]): boolean {
  const name = basename(argv[0] ?? '');
  return name === 'codex' || /^codex-(?:x86_64|aarch64)-/.test(name);
}

/** Flags of Codex 0.171 that take a value as the next argument (`codex --help`). */
const VALUE_FLAGS = new Set(
  '-c --config --enable --disable --remote --remote-auth-token-env -i --image -m --model --local-provider -p --profile -s --sandbox -C --cd --add-dir -a --ask-for-approval --color -o --output-last-message --output-schema --listen'.split(
    ' ',
  ),
);

/** Positional arguments, flags and their values skipped; after `--` everything is positional. */
function positionals(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') return [...out, ...args.slice(i + 1)];
    if (!arg.startsWith('-')) out.push(arg);
    else if (VALUE_FLAGS.has(arg)) i++;
  }
  return out;
}

/** Subcommands that are not an agent session (`codex --help`). */
const TOOLS = new Set(
  'agents review login logout mcp plugin remote-control completion update doctor sandbox debug apply a queue archive delete migrate-rollouts migrate-nfs-db unarchive cloud exec-server features help mcp-server'.split(
    ' ',
  ),
);

/** What the argv after the binary runs: undefined for tools such as `login` or `mcp`. */
export function codexKind(args: readonly string[]): LiveCodexKind | undefined {
  const [first, second] = positionals(args);
  if (first === 'exec' || first === 'e') return 'exec';
  // `app-server daemon pid-update-loop` is the daemon's updater, not a server.
  if (first === 'app-server') return second === undefined ? 'app-server' : undefined;
  if (first !== undefined && TOOLS.has(first)) return undefined;
  // No subcommand, a prompt, `resume` or `fork`: the interactive TUI.
  return 'tui';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The thread named on the command line: `resume <id>` and `exec resume <id>` (not `--last`). */
export function resumedThread(args: readonly string[]): string | undefined {
  const words = positionals(args);
  const at = words.indexOf('resume');
  const id = at >= 0 && at <= 1 ? words[at + 1] : undefined;
  return id !== undefined && UUID.test(id) ? id.toLowerCase() : undefined;
}
