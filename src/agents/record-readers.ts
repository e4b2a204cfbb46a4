import type { RecordReader } from './definition.js';
import { AGENT_LIST } from './registry.js';

/** `auto`, or one agent's kind: what `classify --agent` accepts. */
export const CLASSIFY_AGENTS: readonly string[] = [
  'auto',
  ...AGENT_LIST.filter((agent) => agent.records !== undefined).map((agent) => agent.kind),
];

/**
 * The record readers to try for `--agent`: every agent's, in registry order, for `auto`; only
 * that agent's for its kind. Each is loaded on first use. Undefined for an unknown name.
 */
export async function recordReaders(agent: string): Promise<RecordReader[] | undefined> {
  if (!CLASSIFY_AGENTS.includes(agent)) return undefined;
  const chosen = AGENT_LIST.filter((definition) => agent === 'auto' || definition.kind === agent);
  const readers = await Promise.all(
    chosen.map(async (definition) =>
      definition.records === undefined ? undefined : definition.records(),
    ),
  );
  return readers.filter((reader) => reader !== undefined);
}
