import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { defaultConfig } from '../config/schema.js';
import { configLocation, type CliContext } from './context.js';
import { authedClient, connectDaemon } from './daemon-client.js';
import type { DoctorContext } from '../agents/definition.js';
import { AGENT_LIST } from '../agents/registry.js';
import {
  agentVersionCheck,
  configCheck,
  daemonCheck,
  portCheck,
  type Check,
  type CheckStatus,
} from './doctor-checks.js';
import { EXIT } from './exit-codes.js';

type Globals = () => { config?: string };

const SYMBOLS: Readonly<Record<CheckStatus, string>> = { ok: '✓', warn: '!', fail: '✗' };
// Not a terminal (a pipe, a log, CI): words that grep and every font handle.
const WORDS: Readonly<Record<CheckStatus, string>> = { ok: 'ok', warn: 'warn', fail: 'FAIL' };

export function doctorCommand(program: Command, ctx: CliContext, globals: Globals): void {
  program
    .command('doctor')
    .description('check the config, the daemon, the agents, the hooks and the port; suggest fixes')
    .option('--json', 'print JSON: {"ok", "checks": [{name, status, finding, fix?}]}')
    .addHelpText(
      'after',
      '\nEach line is ok, warn (works, but could be better) or FAIL, with a fix.\n' +
        'Exit 0 when nothing failed (warnings allowed), 1 otherwise.',
    )
    .action(async (opts: { json?: boolean }) => {
      const checks = await runChecks(ctx, globals().config);
      const ok = checks.every((c) => c.status !== 'fail');
      if (opts.json === true) {
        ctx.stdout(`${JSON.stringify({ ok, checks }, null, 2)}\n`);
      } else {
        ctx.stdout(renderChecks(checks, process.stdout.isTTY ? SYMBOLS : WORDS));
      }
      process.exitCode = ok ? EXIT.ok : EXIT.failure;
    });
}

export async function runChecks(ctx: CliContext, configFlag: string | undefined): Promise<Check[]> {
  const loaded = await loadConfig(configLocation(ctx, configFlag));
  // An invalid config still lets the rest be checked, against the defaults.
  const config = loaded.ok ? loaded.config : defaultConfig();
  const client = loaded.ok
    ? (await connectDaemon(ctx, configFlag)).client
    : await authedClient(ctx, config);
  const daemon = await daemonCheck(client, config);
  const sections: Readonly<Record<string, unknown>> = config;
  const doctorCtx: DoctorContext = {
    cli: ctx,
    configFlag,
    configValid: loaded.ok,
    versionCheck: agentVersionCheck,
  };
  // Each agent checks itself (installed, version, its hooks), in registry order.
  const agentChecks = AGENT_LIST.map(async (agent) =>
    agent.doctor === undefined
      ? []
      : agent.doctor(agent.schema.parse(sections[agent.configKey] ?? {}), doctorCtx),
  );
  const [configFound, port, ...agents] = await Promise.all([
    configCheck(loaded),
    portCheck(config, daemon.reachable),
    ...agentChecks,
  ]);
  return [configFound, daemon.check, port, ...agents.flat()];
}

export function renderChecks(
  checks: readonly Check[],
  marks: Readonly<Record<CheckStatus, string>>,
): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const markWidth = Math.max(...Object.values(marks).map((m) => m.length));
  const indent = ' '.repeat(markWidth + width + 2);
  return checks
    .map((c) => {
      const line = `${marks[c.status].padEnd(markWidth)} ${c.name.padEnd(width)} ${c.finding}\n`;
      return c.fix === undefined || c.status === 'ok' ? line : `${line}${indent}fix: ${c.fix}\n`;
    })
    .join('');
}
