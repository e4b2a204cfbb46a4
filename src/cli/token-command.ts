import type { Command } from 'commander';
import { ensureApiToken, readHttpToken, rotateApiToken } from '../config/http-token.js';
import { statePaths } from '../config/paths.js';
import { isAlive } from '../daemon/pid-file.js';
import { PalError } from '../errors.js';
import type { CliContext } from './context.js';
import { authedClient, readRuntimeFile, usableConfig } from './daemon-client.js';

type GlobalOpts = () => { config?: string };

const HELP = `
Every API route but GET /health and GET /api/v1/metrics needs this token, from loopback too.
The CLI, the MCP server and the hook forwarder read it by themselves; for curl:

  curl -H "Authorization: Bearer $(palingenesis token)" http://127.0.0.1:7654/api/v1/status

The daemon makes it at its first start in <state dir>/api-token (mode 0600, in the 0700 state
directory: other users and sandboxed processes can reach 127.0.0.1 but cannot read it).
[http] token or token_file, when set, is the token instead (and is copied into that file).
--rotate makes a new one; a running daemon refuses the old one from its next request on.`;

/** `palingenesis token [--rotate]`: prints the API token, or replaces it. */
export function tokenCommand(program: Command, ctx: CliContext, globals: GlobalOpts): void {
  program
    .command('token')
    .description('print the API token (curl users need it), or --rotate to replace it')
    .option('--rotate', 'replace the token with a new random one and print it')
    .addHelpText('after', HELP)
    .action(async (opts: { rotate?: boolean }) => {
      const config = await usableConfig(ctx, globals().config);
      const file = statePaths(ctx.pathEnv).tokenFile;
      const configured = await readHttpToken(config.http);
      if (opts.rotate !== true) {
        ctx.stdout(`${configured ?? (await ensureApiToken(file))}\n`);
        return;
      }
      if (configured !== undefined) {
        throw new PalError(
          'conflict',
          'the token comes from [http] token or token_file: change it there (then daemon restart)',
        );
      }
      const runtime = await readRuntimeFile(statePaths(ctx.pathEnv).runtimeFile);
      if (runtime === undefined || !isAlive(runtime.pid)) {
        ctx.stdout(`${await rotateApiToken(file)}\n`);
        return;
      }
      // The daemon swaps the token it enforces and the file together.
      await (await authedClient(ctx, config)).call('POST', '/api/v1/token/rotate');
      ctx.stdout(`${await ensureApiToken(file)}\n`);
    });
}
