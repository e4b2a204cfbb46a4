import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import type {
  AgentDefinition,
  AgentSection,
  AgentShape,
  HookContext,
  HookRegistration,
  HookStatusReport,
} from '../agents/definition.js';
import { AGENT_LIST } from '../agents/registry.js';
import { PalError } from '../errors.js';
import { hookContext } from '../hooks/context.js';
import { configLocation, requireConfig, type CliContext } from './context.js';

type Section = AgentSection<AgentShape>;

interface HookAgent {
  readonly agent: AgentDefinition;
  readonly hooks: HookRegistration<Section>;
}

/** The agents whose hooks we can install, in registry order: the valid `<agent>` values. */
const HOOK_AGENTS: readonly HookAgent[] = AGENT_LIST.flatMap((agent) =>
  agent.hooks === undefined ? [] : [{ agent, hooks: agent.hooks }],
);
const KINDS = HOOK_AGENTS.map((entry) => entry.agent.kind).join(', ');

const HOOKS_HELP = `\n${HOOK_AGENTS.map((entry) => entry.hooks.help).join('\n\n')}`;

export function hooksCommands(
  program: Command,
  ctx: CliContext,
  globals: () => { config?: string },
): void {
  const hooks = program
    .command('hooks')
    .description("install, remove or check palingenesis's hooks in an agent's settings")
    .addHelpText('after', HOOKS_HELP);

  hooks
    .command('install <agent>')
    .description(`add our hooks to the agent's settings (agents: ${KINDS})`)
    .addHelpText(
      'after',
      '\nBacks the settings file up first (<settings>.palingenesis-backup-<time>, beside it) and\n' +
        'records what it did under <state dir>/hooks/. Running it again changes nothing;\n' +
        'from another install location or state dir it points the hooks at the new paths.',
    )
    .action(async (agent: string) => {
      const entry = requireAgent(agent);
      const hookCtx = (await contextsFor(ctx, globals().config))(entry);
      const script = hookCtx.forwarder.script;
      await access(script).catch((error: unknown) => {
        throw new PalError('internal', `the hook forwarder ${script} is missing; build first`, {
          cause: error,
        });
      });
      ctx.stdout((await (await entry.hooks.installer()).install(hookCtx)).text);
    });

  hooks
    .command('uninstall <agent>')
    .description(`remove exactly the hooks install added (agents: ${KINDS})`)
    .addHelpText(
      'after',
      '\nIf the settings file is still as install left it, the original bytes are restored from the\n' +
        'backup. If it changed since, only our entries are removed and your changes are kept\n' +
        '(the file as it was before is backed up beside it first).',
    )
    .action(async (agent: string) => {
      const entry = requireAgent(agent);
      const hookCtx = (await contextsFor(ctx, globals().config))(entry);
      ctx.stdout((await (await entry.hooks.installer()).uninstall(hookCtx)).text);
    });

  hooks
    .command('status [agent]')
    .description(
      `per event: are our hooks installed, where, and do their paths still exist (agents: ${KINDS})`,
    )
    .option('--json', 'print JSON')
    .action(async (agent: string | undefined, opts: { json?: boolean }) => {
      const entries = agent === undefined ? HOOK_AGENTS : [requireAgent(agent)];
      const contextOf = await contextsFor(ctx, globals().config);
      const reports: HookStatusReport[] = [];
      for (const entry of entries) {
        reports.push(await (await entry.hooks.installer()).status(contextOf(entry)));
      }
      ctx.stdout(
        opts.json === true
          ? `${JSON.stringify({ agents: reports.map((r) => r.json) }, null, 2)}\n`
          : reports.map((r) => r.text).join(''),
      );
    });
}

function requireAgent(kind: string): HookAgent {
  const entry = HOOK_AGENTS.find((e) => e.agent.kind === kind);
  if (entry === undefined) {
    throw new PalError('usage', `unknown agent "${kind}"; hooks exist for: ${KINDS}`);
  }
  return entry;
}

/** Loads the config once (an invalid one ends the command), then gives each agent its context. */
async function contextsFor(
  ctx: CliContext,
  configFlag: string | undefined,
): Promise<(entry: HookAgent) => HookContext<Section>> {
  const sections: Readonly<Record<string, unknown>> = await requireConfig(
    configLocation(ctx, configFlag),
  );
  const now = new Date();
  return ({ agent }) => hookContext(ctx, agent.schema.parse(sections[agent.configKey] ?? {}), now);
}
