/** The name the server is registered under in every agent. */
export const MCP_SERVER_NAME = 'palingenesis';

/** The tools `mcp serve` offers (kept apart from the server so the CLI loads the SDK lazily). */
export const MCP_TOOL_NAMES = [
  'status',
  'sessions',
  'pause',
  'resume',
  'new_session',
  'wake',
  'logs',
] as const;
