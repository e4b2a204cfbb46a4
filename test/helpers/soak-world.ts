import { startFakeLlm, type FakeLlm } from '../fake-llm/server.js';
import { snapshotBuild } from './build-snapshot.js';
import { createClaudeHome, type ClaudeHome } from './claude.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { startOpencode, type OpencodeServer } from './opencode.js';
import { createTestClient } from './opencode-client.js';
import type { Prng } from './prng.js';
import { runCli } from './run-cli.js';
import { claudeUser, opencodeUser, type SoakAgent, type SoakAgentKind } from './soak-agents.js';
import { soakConfig } from './soak-daemon.js';
import { createFaults, type Faults } from './soak-kills.js';
import { scriptSoakLlm, type SoakLlm } from './soak-llm.js';

/** Everything a soak runs against, except the daemon: each part is closed by close(). */
export interface SoakWorld {
  readonly fake: FakeLlm;
  readonly llm: SoakLlm;
  readonly opencode: OpencodeServer;
  /** Between the daemon and opencode: fails some of the daemon's prompts. */
  readonly proxy: FaultProxy;
  readonly faults: Faults;
  /** The temp HOME of Claude Code and of the daemon (which follows its transcripts). */
  readonly claude: ClaudeHome;
  readonly agents: readonly SoakAgent[];
  readonly config: string;
  /** The daemon's cli.js: a snapshot of dist/, so that a build meanwhile changes nothing. */
  readonly cli: string;
  /** The soak's HOME (the daemon's and Claude Code's). */
  readonly homeDir: string;
  agent(kind: SoakAgentKind): SoakAgent;
  /** Kills every agent process left (the soak's runs, the daemon's orphans), closes the rest. */
  close(): Promise<void>;
}

export async function openWorld(
  rng: Prng,
  faultRate: number,
  options: { keepHome?: boolean } = {},
): Promise<SoakWorld> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, 'soak teardown failed');
  };
  try {
    const build = await snapshotBuild();
    cleanups.push(() => build.remove());
    const fake = await startFakeLlm();
    cleanups.push(() => fake.close());
    const llm = scriptSoakLlm(fake);
    const claude = await createClaudeHome({
      baseUrl: fake.anthropicUrl,
      auth: 'oauth',
      hooks: false,
    });
    // Kept on request: the daemon's state, audit log and log, and every transcript, to look into.
    if (options.keepHome !== true) cleanups.push(() => claude.remove());
    const opencode = await startOpencode({ fakeLlmUrl: fake.url });
    cleanups.push(() => opencode.stop());
    const faults = createFaults(rng, faultRate);
    const proxy = await startFaultProxy(opencode.url, (r) => faults.decide(r));
    cleanups.push(() => proxy.close());
    // As a user would: the daemon's own CLI merges its hooks into Claude Code's settings.
    const install = await runCli(['hooks', 'install', 'claude-code'], claude.env, {
      cli: build.cli,
    });
    if (install.code !== 0) throw new Error(`hooks install failed: ${install.stderr}`);
    const agents = [
      opencodeUser(createTestClient(opencode.url, opencode.directory)),
      claudeUser(claude),
    ];
    for (const agent of agents) cleanups.push(() => agent.close());
    return {
      fake,
      llm,
      opencode,
      proxy,
      faults,
      claude,
      agents,
      config: soakConfig(proxy.url),
      cli: build.cli,
      homeDir: claude.home.dir,
      agent(kind) {
        const found = agents.find((a) => a.kind === kind);
        if (found === undefined) throw new Error(`no ${kind} in the soak`);
        return found;
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
