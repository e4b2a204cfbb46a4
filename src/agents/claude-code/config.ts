import { z } from 'zod';

export const CLAUDE_RESUME_MODES = ['auto', 'headless', 'tmux', 'notify'] as const;

export const claudeCodeSection = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe('Watch Claude Code (hooks, transcripts, live sessions) and resume its sessions.'),
  config_dir: z
    .string()
    .default('')
    .describe("Claude Code's directory; empty: $CLAUDE_CONFIG_DIR, else ~/.claude."),
  binary: z
    .string()
    .min(1)
    .default('claude')
    .describe('The Claude Code executable, for headless resumes and new sessions.'),
  resume_mode: z
    .enum(CLAUDE_RESUME_MODES)
    .default('auto')
    .describe(
      'auto: type into the idle tmux pane of a live interactive session, else run headless; ' +
        'headless: `claude -p --resume`; tmux: only send-keys, else notify; notify: never act.',
    ),
  poll_interval_ms: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1000)
    .describe('How often transcripts and live-session files are checked for changes.'),
  tmux_binary: z.string().min(1).default('tmux').describe('The tmux executable, for send-keys.'),
});

export type ClaudeCodeSection = z.infer<typeof claudeCodeSection>;
