import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HookContext, HookForwarder } from '../agents/definition.js';
import type { CliContext } from '../cli/context.js';
import { stateDir } from '../config/paths.js';

/** What an agent's hook installer (and its doctor check) is given, for its parsed config section. */
export function hookContext<Section>(
  cli: CliContext,
  section: Section,
  now: Date,
): HookContext<Section> {
  return {
    cli,
    section,
    stateDir: resolve(stateDir(cli.pathEnv)),
    forwarder: hookForwarder(),
    now,
  };
}

/** This node and dist/palingenesis-hook.js, beside the dist/hooks/ folder this file is built into. */
export function hookForwarder(): HookForwarder {
  return {
    node: process.execPath,
    script: fileURLToPath(new URL('../palingenesis-hook.js', import.meta.url)),
  };
}
