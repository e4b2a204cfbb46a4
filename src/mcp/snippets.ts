import { shellCommand } from '../cli/shell-quote.js';
import { MCP_SERVER_NAME } from './names.js';

/**
 * opencode's config (opencode.json, `mcp` key): a local server is `type: "local"` with the whole
 * command line as one array; checked against opencode 1.18 (`opencode debug config`).
 */
export function opencodeMcpSnippet(command: readonly string[]): string {
  const config = {
    $schema: 'https://opencode.ai/config.json',
    mcp: { [MCP_SERVER_NAME]: { type: 'local', command, enabled: true } },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * `claude mcp add [--scope local|user|project] <name> -- <command> [args...]` (Claude Code 2.1):
 * the `--` keeps our own options from being read as claude's.
 */
export function claudeMcpAddCommand(command: readonly string[], scope: string): string {
  return shellCommand([
    'claude',
    'mcp',
    'add',
    '--scope',
    scope,
    MCP_SERVER_NAME,
    '--',
    ...command,
  ]);
}
