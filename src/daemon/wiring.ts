import type { Logger } from 'pino';
import type { SessionRef } from '../agents/adapter.js';
import type {
  AgentDefinition,
  AgentDeps,
  AgentInstance,
  AgentProcessEvent,
} from '../agents/definition.js';
import { AGENT_LIST } from '../agents/registry.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../jobs/clock.js';

export interface WiringDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly env: NodeJS.ProcessEnv;
  readonly stateDir: string;
  readonly tracked: () => readonly SessionRef[];
  /** An input an agent did not believe, e.g. a forged hook: for a counter. */
  readonly onRefused: (agent: string, reason: string) => void;
  /** A failure an agent caught (already logged): for a counter. `kind` is a fixed word. */
  readonly onError: (agent: string, kind: string) => void;
  readonly onProcess: (agent: string, event: AgentProcessEvent) => void;
}

/** The agents this configuration enables, each built by its own definition (registry.ts). */
export async function createAgents(
  config: Config,
  deps: WiringDeps,
): Promise<Map<string, AgentInstance>> {
  const sections: Readonly<Record<string, unknown>> = config;
  const instances = new Map<string, AgentInstance>();
  for (const agent of AGENT_LIST) {
    const section = sectionOf(agent, sections[agent.configKey]);
    if (!agent.enabled(section)) continue;
    instances.set(agent.kind, await agent.create(section, agentDeps(agent.kind, config, deps)));
  }
  return instances;
}

/** The section as its own schema reads it: the config was parsed by the same schema, so this holds. */
function sectionOf(
  agent: AgentDefinition,
  value: unknown,
): ReturnType<AgentDefinition['schema']['parse']> {
  return agent.schema.parse(value ?? {});
}

/** What one agent is given; exported for its tests. */
export function agentDeps(kind: string, config: Config, deps: WiringDeps): AgentDeps {
  const log = deps.log.child({ agent: kind });
  return {
    clock: deps.clock,
    log,
    env: deps.env,
    stateDir: deps.stateDir,
    maxTrackedFiles: config.limits.max_tracked_files,
    tracked: () => deps.tracked().filter((ref) => ref.agent === kind),
    sleep: (ms, signal) => abortableSleep(deps.clock, ms, signal),
    onError: (errorKind, error) => {
      log.warn({ err: error, kind: errorKind }, 'agent adapter error');
      deps.onError(kind, errorKind);
    },
    onRefused: (reason) => {
      deps.onRefused(kind, reason);
    },
    onProcess: (event) => {
      deps.onProcess(kind, event);
    },
  };
}

export function abortableSleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      cancel();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const cancel = clock.setTimer(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
