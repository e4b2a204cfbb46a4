import { shellCommand } from '../../cli/shell-quote.js';
import { defineAgent } from '../definition.js';
import { claudeCodeSection } from './config.js';
import { CLAUDE_HOOK_EVENTS } from './hooks/events.js';

const MCP_SCOPES = ['local', 'user', 'project'] as const;

const HOOKS_HELP = `Claude Code: adds a command hook for ${CLAUDE_HOOK_EVENTS.join(', ')} to
$CLAUDE_CONFIG_DIR/settings.json (default ~/.claude/settings.json). Every other setting and hook,
the formatting and the key order stay as they are. The hook forwards each event to the daemon, or
spools it under <state dir>/spool/claude-code/ while the daemon is down; the daemon replays the
spool when it starts. What install changed is recorded in <state dir>/hooks/claude-code.json.`;

/** Claude Code: hooks, transcripts and live-session files; resumes headless or in tmux. */
export const claudeCodeAgent = defineAgent({
  kind: 'claude-code',
  title: 'Claude Code',
  configKey: 'claude_code',
  description: 'The Claude Code agent.',
  schema: claudeCodeSection,
  enabled: (section) => section.enabled,
  hookIntake: true,
  async create(section, deps) {
    const { createClaudeInstance } = await import('./instance.js');
    return createClaudeInstance(section, deps);
  },
  async doctor(section, ctx) {
    const version = await ctx.versionCheck({
      name: 'claude-code',
      binary: section.binary,
      enabled: section.enabled,
      // On by default: a machine with only opencode or Codex warns, it does not fail.
      required: false,
      configKey: 'claude_code',
      install: 'npm install -g @anthropic-ai/claude-code',
    });
    if (!section.enabled) {
      const finding = 'not checked: [claude_code] enabled = false';
      return [version, { name: 'hooks', status: 'ok', finding }];
    }
    if (!ctx.configValid) {
      return [
        version,
        { name: 'hooks', status: 'warn', finding: 'not checked: the config is invalid' },
      ];
    }
    const { claudeHooksCheck } = await import('./doctor.js');
    return [version, await claudeHooksCheck(section, ctx)];
  },
  hooks: {
    help: HOOKS_HELP,
    installer: async () => (await import('./hooks/installer.js')).claudeHookInstaller,
  },
  records: async () => ({ line: (await import('./records.js')).readClaudeRecord }),
  mcp: {
    help: 'Run the printed command (`claude mcp add`; --scope: user, local or project).',
    scopes: MCP_SCOPES,
    defaultScope: 'user',
    // `claude mcp add [--scope local|user|project] <name> -- <command> [args...]` (Claude Code
    // 2.1): the `--` keeps our own options from being read as claude's.
    snippet: (command, { scope, name }) =>
      `${shellCommand(['claude', 'mcp', 'add', '--scope', scope, name, '--', ...command])}\n`,
  },
});
