import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { z } from 'zod';
import { statePaths, type StatePaths } from '../config/paths.js';
import { readBuildInfo } from '../daemon/build-info.js';
import { isAlive, readPid } from '../daemon/pid-file.js';
import { runForeground } from '../daemon/run-foreground.js';
import { PalError } from '../errors.js';
import { configLocation, requireConfig, type CliContext } from './context.js';
import {
  connectDaemon,
  createDaemonClient,
  daemonUrl,
  readRuntimeFile,
  usableConfig,
} from './daemon-client.js';
import { EXIT } from './exit-codes.js';
import { formatDuration } from './format.js';

type GlobalOpts = () => { config?: string };

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 20_000;
const reloadVerdict = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    applied: z.array(z.string()),
    needsRestart: z.array(z.string()),
  }),
  z.object({ ok: z.literal(false), problems: z.array(z.string()) }),
]);

const CLI_PATH = fileURLToPath(new URL('../cli.js', import.meta.url));

export function daemonCommands(program: Command, ctx: CliContext, globals: GlobalOpts): void {
  const daemon = program
    .command('daemon')
    .description('start, stop, restart, reload or check the daemon');
  const paths = (): StatePaths => statePaths(ctx.pathEnv);

  daemon
    .command('start')
    .description('start the daemon in the background (or in this terminal with --foreground)')
    .option('--foreground', 'run in this terminal until SIGTERM or SIGINT (Ctrl-C)')
    .addHelpText(
      'after',
      '\nIn the background: returns once the daemon answers, printing its URL; its stdout and\n' +
        'stderr go to <state dir>/daemon.out, its log to <state dir>/palingenesis.log.\n' +
        'In the foreground: prints one line, "palingenesis listening on <url>", once the HTTP API\n' +
        'is ready; logs go to stderr and to the log file. SIGHUP reloads the configuration.',
    )
    .action(async (opts: { foreground?: boolean }) => {
      const location = configLocation(ctx, globals().config);
      const config = await requireConfig(location);
      if (opts.foreground === true) {
        process.exitCode = await runForeground({
          config,
          configLocation: location,
          paths: paths(),
          build: readBuildInfo(),
          stdout: ctx.stdout,
        });
        return;
      }
      ctx.stdout(`${await startDetached(paths(), globals().config, config.http.enabled, ctx)}\n`);
    });

  daemon
    .command('stop')
    .description('stop the daemon gracefully (SIGTERM) and wait until it has exited')
    .action(async () => {
      ctx.stdout(`${await stop(paths())}\n`);
    });

  daemon
    .command('restart')
    .description('stop the daemon if it runs, then start it in the background')
    .action(async () => {
      const config = await requireConfig(configLocation(ctx, globals().config));
      ctx.stdout(`${await stop(paths())}\n`);
      ctx.stdout(`${await startDetached(paths(), globals().config, config.http.enabled, ctx)}\n`);
    });

  daemon
    .command('reload')
    .description('make the daemon read its configuration again, and say what came of it')
    .option('--json', 'the verdict as JSON: {ok, applied, needsRestart} or {ok, problems}')
    .addHelpText(
      'after',
      '\nWhat can change live ([resume], [metrics], [daemon], [notifications], http.token and\n' +
        'http.token_file) takes effect at once; other changes are listed as needing a restart.\n' +
        'An invalid file (or a gone one, or a bad token file) is rejected: every problem is\n' +
        'printed with its key and line, the last good configuration stays, exit 1.\n' +
        'With the HTTP API off the daemon is only signalled (SIGHUP); its log has the verdict.',
    )
    .action(async (opts: { json?: boolean }) => {
      const pid = await runningPid(paths());
      if (pid === undefined) throw notRunning();
      if ((await readRuntimeFile(paths().runtimeFile)) === undefined) {
        process.kill(pid, 'SIGHUP');
        ctx.stdout(
          `reload requested (pid ${String(pid)}); the HTTP API is off, so the verdict is in ` +
            'the log: palingenesis logs\n',
        );
        return;
      }
      const { client } = await connectDaemon(ctx, globals().config);
      const verdict = reloadVerdict.parse(await client.call('POST', '/api/v1/config/reload'));
      if (opts.json === true) ctx.stdout(`${JSON.stringify(verdict, null, 2)}\n`);
      if (!verdict.ok) {
        if (opts.json !== true) {
          ctx.stderr(
            `palingenesis: the config was rejected; the last good one stays:\n` +
              verdict.problems.map((p) => `  ${p}\n`).join(''),
          );
        }
        process.exitCode = EXIT.failure;
        return;
      }
      if (opts.json === true) return;
      const list = (keys: readonly string[]): string =>
        keys.length === 0 ? 'none' : keys.join(', ');
      ctx.stdout(
        verdict.applied.length === 0 && verdict.needsRestart.length === 0
          ? 'reloaded: nothing changed\n'
          : `reloaded: applied ${list(verdict.applied)}; needs a restart: ${list(verdict.needsRestart)}\n`,
      );
    });

  daemon
    .command('status')
    .description('is the daemon running, where, in which state, for how long')
    .option('--json', 'as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = await usableConfig(ctx, globals().config);
      const pid = await runningPid(paths());
      if (pid === undefined) {
        if (opts.json === true) ctx.stdout(`${JSON.stringify({ running: false })}\n`);
        throw notRunning();
      }
      const url = config.http.enabled ? await daemonUrl(ctx, config) : undefined;
      const status =
        url === undefined
          ? undefined
          : ((await createDaemonClient(url).call('GET', '/health')) as {
              uptimeSeconds?: number;
              version?: string;
            });
      if (opts.json === true) {
        ctx.stdout(`${JSON.stringify({ running: true, pid, url: url ?? null, ...status })}\n`);
        return;
      }
      const up =
        status?.uptimeSeconds === undefined
          ? ''
          : `, up ${formatDuration(status.uptimeSeconds * 1000)}`;
      ctx.stdout(
        `palingenesis is running (pid ${String(pid)})${url === undefined ? ', HTTP API disabled' : ` at ${url}`}${up}\n`,
      );
    });
}

function notRunning(): PalError {
  return new PalError(
    'daemon_unreachable',
    'palingenesis is not running; start it with `palingenesis daemon start`',
  );
}

async function runningPid(paths: StatePaths): Promise<number | undefined> {
  const pid = await readPid(paths.pidFile);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

/** Starts `daemon start --foreground` detached and waits until it answers (or says why not). */
async function startDetached(
  paths: StatePaths,
  configFlag: string | undefined,
  httpEnabled: boolean,
  ctx: CliContext,
): Promise<string> {
  const running = await runningPid(paths);
  if (running !== undefined) {
    throw new PalError(
      'already_running',
      `palingenesis is already running (pid ${String(running)})`,
    );
  }
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const outPath = join(paths.dir, 'daemon.out');
  const out = openSync(outPath, 'a', 0o600);
  const args = [CLI_PATH, ...(configFlag === undefined ? [] : ['--config', configFlag])];
  const child = spawn(process.execPath, [...args, 'daemon', 'start', '--foreground'], {
    detached: true,
    stdio: ['ignore', out, out],
    env: ctx.pathEnv.env,
  });
  closeSync(out);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  const pid = child.pid ?? 0;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      const tail = (await readFile(outPath, 'utf8').catch(() => '')).trim().split('\n').slice(-5);
      const why = tail.filter((l) => l.startsWith('palingenesis:')).join('\n') || tail.join('\n');
      throw new PalError(
        exited === 3 ? 'already_running' : 'internal',
        `the daemon exited (${String(exited)}) while starting:\n${why}`,
      );
    }
    if ((await readPid(paths.pidFile)) === pid) {
      if (!httpEnabled) return `palingenesis started (pid ${String(pid)}); HTTP API disabled`;
      const runtime = await readRuntimeFile(paths.runtimeFile);
      const url = runtime?.pid === pid ? runtime.url : undefined;
      if (url !== undefined) {
        const healthy = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })
          .then((r) => r.ok)
          .catch(() => false);
        if (healthy) return `palingenesis started (pid ${String(pid)}), listening on ${url}`;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new PalError(
    'internal',
    `the daemon (pid ${String(pid)}) did not answer within ${String(START_TIMEOUT_MS / 1000)} s; see ${outPath}`,
  );
}

/** SIGTERM, then wait for the process to be gone. Not running is fine: stop is idempotent. */
async function stop(paths: StatePaths): Promise<string> {
  const pid = await runningPid(paths);
  if (pid === undefined) return 'palingenesis is not running';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return `palingenesis stopped (pid ${String(pid)})`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new PalError(
    'internal',
    `the daemon (pid ${String(pid)}) did not exit within ${String(STOP_TIMEOUT_MS / 1000)} s`,
  );
}
