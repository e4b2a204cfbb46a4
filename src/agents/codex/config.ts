import { z } from 'zod';

export const CODEX_RESUME_MODES = ['auto', 'headless', 'tmux', 'notify'] as const;
export type CodexResumeMode = (typeof CODEX_RESUME_MODES)[number];

/** `[codex]`: every key, its default and its description. */
export const codexSection = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe('Watch OpenAI Codex CLI (its rollout files) and resume its sessions.'),
  home: z.string().default('').describe("Codex's directory; empty: $CODEX_HOME, else ~/.codex."),
  binary: z
    .string()
    .min(1)
    .default('codex')
    .describe('The Codex executable, for `codex exec resume` and new sessions.'),
  exec_args: z
    .array(z.string())
    .default([])
    .describe(
      'Extra arguments for every `codex exec` the daemon runs, before the prompt, e.g. ' +
        '["--sandbox", "workspace-write"]; your config.toml applies either way.',
    ),
  resume_mode: z
    .enum(CODEX_RESUME_MODES)
    .default('auto')
    .describe(
      'auto: type into the idle tmux pane of an open Codex TUI, else `codex exec resume`; ' +
        'headless: only `codex exec resume`; tmux: only the TUI, else notify; notify: never act.',
    ),
  poll_interval_ms: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(1000)
    .describe('How often rollout files and Codex processes are checked for changes.'),
  tmux_binary: z.string().min(1).default('tmux').describe('The tmux executable, for send-keys.'),
});

export type CodexSection = z.infer<typeof codexSection>;
