import { claudeCodeAgent } from './claude-code/index.js';
import { codexAgent } from './codex/index.js';
import type { AgentDefinition } from './definition.js';
import { opencodeAgent } from './opencode/index.js';

/**
 * Every agent palingenesis knows, in the order the config file, `doctor` and `--help` list them.
 * Adding an agent: its folder exporting one definition, and one line here.
 */
export const AGENTS = [opencodeAgent, claudeCodeAgent, codexAgent] as const;

export type RegisteredAgent = (typeof AGENTS)[number];

/** The same list, each agent seen through the common interface (to iterate, not to configure). */
export const AGENT_LIST: readonly AgentDefinition[] = AGENTS;

/** The kinds, for metrics labels initialised at zero and for `--agent` choices. */
export const AGENT_KINDS: readonly string[] = AGENT_LIST.map((agent) => agent.kind);

/** The agent of this kind, or undefined. */
export function findAgent(kind: string): AgentDefinition | undefined {
  return AGENT_LIST.find((agent) => agent.kind === kind);
}
