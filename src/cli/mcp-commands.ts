import { resolve } from 'node:path';
import type { Command } from 'commander';
import { statePaths, type ConfigLocation } from '../config/paths.js';
import { readBuildInfo } from '../daemon/build-info.js';
import { PalError } from '../errors.js';
import { MCP_TOOL_NAMES } from '../mcp/names.js';
import { AGENT_LIST } from '../agents/registry.js';
import { MCP_SERVER_NAME } from '../mcp/names.js';
import { configLocation, type CliContext } from './context.js';
import { connectDaemon } from './daemon-client.js';
import { selfCommand } from './self.js';

/** The agents that can run our MCP server, with how each registers it. */
const CLIENTS = AGENT_LIST.flatMap((agent) =>
  agent.mcp === undefined ? [] : [{ kind: agent.kind, ...agent.mcp }],
);
const KINDS = CLIENTS.map((client) => client.kind).join(', ');

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

  const scoped = CLIENTS.filter((client) => client.scopes !== undefined);
  mcp
    .command('config <agent>')
    .description(`print how to register the MCP server with an agent (${KINDS})`)
    .option(
      '--scope <scope>',
      scoped.map((client) => `${client.kind}: ${(client.scopes ?? []).join(', ')}`).join('; ') +
        ' (default: the first)',
    )
    .addHelpText(
      'after',
      `\n${CLIENTS.map((client) => `${client.kind}: ${client.help}`).join('\n')}\n` +
        'Each names this node and this palingenesis by absolute path (and --config if given).',
    )
    .action((agent: string, opts: { scope?: string }) => {
      const client = CLIENTS.find((c) => c.kind === agent);
      if (client === undefined) {
        throw new PalError('usage', `unknown agent "${agent}"; one of: ${KINDS}`);
      }
      const scopes = client.scopes ?? [];
      const scope = opts.scope ?? client.defaultScope ?? '';
      if (opts.scope !== undefined && !scopes.includes(opts.scope)) {
        throw new PalError(
          'usage',
          scopes.length === 0
            ? `${agent} has no --scope`
            : `--scope must be one of ${scopes.join(', ')}`,
        );
      }
      const command = serveCommand(configLocation(ctx, globals().config));
      ctx.stdout(client.snippet(command, { scope, name: MCP_SERVER_NAME }));
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
