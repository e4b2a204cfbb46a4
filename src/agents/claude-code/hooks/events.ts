/**
 * The Claude Code hook events we install a command for. Its own file, without imports, so the
 * agent's definition can name them in `hooks --help` without loading the settings code.
 */
export const CLAUDE_HOOK_EVENTS = ['StopFailure', 'Stop', 'SessionStart', 'SessionEnd'] as const;
export type ClaudeHookEvent = (typeof CLAUDE_HOOK_EVENTS)[number];
