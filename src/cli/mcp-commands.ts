import { resolve } from 'node:path';
import type { Command } from 'commander';
import { statePaths, type ConfigLocation } from '../config/paths.js';
import { readBuildInfo } from '../daemon/build-info.js';
import { PalError } from '../errors.js';
import { MCP_TOOL_NAMES } from '../mcp/names.js';
import { claudeMcpAddCommand, opencodeMcpSnippet } from '../mcp/snippets.js';
import { configLocation, type CliContext } from './context.js';
import { connectDaemon } from './daemon-client.js';
import { selfCommand } from './self.js';

const CLIENTS = ['opencode', 'claude-code'] as const;
const SCOPES = ['local', 'user', 'project'] as const;

const SERVE_HELP = `
Speaks MCP on stdin/stdout (nothing else is ever written to stdout; diagnostics go to stderr) and
exits when stdin closes. Tools: ${MCP_TOOL_NAMES.join(', ')}. Each forwards to the running
daemon's HTTP API; when the daemon is down the tool answers with an error saying so.`;

export function mcpCommands(
  program: Command,
  ctx: CliContext,
  globals: () => { config?: string },
): void {
  const mcp = program
    .command('mcp')
    .description('let an agent control palingenesis through MCP (Model Context Protocol)');

  mcp
    .command('serve')
    .description('run an MCP server over stdio (started by the agent, not by you)')
    .addHelpText('after', SERVE_HELP)
    .action(async () => {
      await serveStdio(ctx, globals().config);
    });

  mcp
    .command('config <agent>')
    .description(`print how to register the MCP server with an agent (${CLIENTS.join(', ')})`)
    .option('--scope <scope>', `claude-code: ${SCOPES.join(', ')}`, 'user')
    .addHelpText(
      'after',
      '\nopencode: merge the JSON into opencode.json (the project) or\n' +
        '~/.config/opencode/opencode.json (everywhere). claude-code: run the printed command.\n' +
        'Both name this node and this palingenesis by absolute path (and --config if given).',
    )
    .action((agent: string, opts: { scope: string }) => {
      const command = serveCommand(configLocation(ctx, globals().config));
      if (agent === 'opencode') {
        ctx.stdout(opencodeMcpSnippet(command));
      } else if (agent === 'claude-code') {
        if (!(SCOPES as readonly string[]).includes(opts.scope)) {
          throw new PalError('usage', `--scope must be one of ${SCOPES.join(', ')}`);
        }
        ctx.stdout(`${claudeMcpAddCommand(command, opts.scope)}\n`);
      } else {
        throw new PalError('usage', `unknown agent "${agent}"; one of: ${CLIENTS.join(', ')}`);
      }
    });
}

/** The command line an agent runs: absolute node, absolute cli.js, and the config if named. */
function serveCommand(location: ConfigLocation): string[] {
  const { node, cli } = selfCommand();
  // A named config (flag or $PALINGENESIS_CONFIG) is passed on: the agent's environment may lack it.
  const config = location.source === 'default' ? [] : ['--config', resolve(location.path)];
  return [node, cli, ...config, 'mcp', 'serve'];
}

async function serveStdio(ctx: CliContext, configFlag: string | undefined): Promise<void> {
  // Loaded here, not at the top: the SDK takes ~0.4 s to import, which no other command should pay.
  const { createMcpServer } = await import('../mcp/server.js');
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const server = createMcpServer({
    version: readBuildInfo().version,
    daemon: async () => (await connectDaemon(ctx, configFlag)).client,
    logFile: statePaths(ctx.pathEnv).logFile,
    log: (line) => {
      ctx.stderr(`${line}\n`);
    },
  });
  const closed = new Promise<void>((done) => {
    server.server.onclose = done;
  });
  await server.connect(new StdioServerTransport());
  // The SDK's transport does not notice the end of stdin; the client closing it means "stop".
  const stop = (): void => {
    void server.close();
  };
  process.stdin.once('end', stop);
  process.stdout.once('error', stop); // EPIPE: the client is gone
  await closed;
}
