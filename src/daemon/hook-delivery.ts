import type { Logger } from 'pino';
import type { AgentInstance, HookReceipt } from '../agents/definition.js';
import { AGENT_LIST } from '../agents/registry.js';
import {
  createHookInbox,
  hookInboxDir,
  MAX_INBOX_FILES,
  type InboxEntry,
  type InboxWrite,
} from '../hooks/inbox.js';
import { drainSpool, spoolDir } from '../hooks/spool.js';
import type { HookAcceptance } from '../http/routes/hooks.js';

/** What a full inbox tells the forwarder (which spools meanwhile): about one settle window. */
const FULL_RETRY_SECONDS = 2;

export interface HookDeliveryDeps {
  readonly stateDir: string;
  /** `[limits] hook_inbox_bytes`. */
  readonly maxBytes: number;
  /** The enabled agents; those with `acceptHook` take hooks. */
  readonly agents: ReadonlyMap<string, Pick<AgentInstance, 'acceptHook'>>;
  readonly log: Logger;
  /** A failure of the inbox or the spool: logged and counted (`errors_total{component="store"}`). */
  readonly onError: (kind: string, error: unknown, context: Record<string, unknown>) => void;
  /** A payload turned away (`inbox_full`, `too_large`, `bad_payload`): counted. */
  readonly onRefused: (agent: string, reason: string) => void;
  /** Epoch ms, for inbox names. */
  readonly now: () => number;
  /**
   * Whether what the agents observed so far is saved (the engine's state file): a handled hook's
   * copy goes only then, so a stop it carried is never in memory alone. Default: at once.
   */
  readonly persisted?: (() => Promise<boolean>) | undefined;
}

export interface HookDelivery {
  /** The route's intake: persist, then hand to the agent; the copy goes once the agent is done. */
  accept(agent: string, payload: object): Promise<HookAcceptance>;
  /**
   * At agent start: what a daemon that died left in the inbox (oldest first), then the spool,
   * each through the same intake. Resolves when all was handed over, or `signal` aborted. Never
   * rejects.
   */
  replay(signal: AbortSignal): Promise<void>;
}

/**
 * "Accepted means persisted": a hook is written to `<state dir>/hooks-inbox/<agent>/` before it
 * is answered 202, and deleted only once the agent says it is `handled`. Agent-neutral: an agent
 * takes part by its definition's `hookIntake` and its instance's `acceptHook`.
 */
export function createHookDelivery(deps: HookDeliveryDeps): HookDelivery {
  const inbox = createHookInbox({
    dir: hookInboxDir(deps.stateDir),
    maxBytes: deps.maxBytes,
    now: deps.now,
  });
  // Payloads go to their agent in arrival order, even when a later write finishes first.
  let handing: Promise<unknown> = Promise.resolve();

  const forget = async (entry: InboxEntry): Promise<void> => {
    await inbox.remove(entry).catch((error: unknown) => {
      deps.onError('hook_inbox_remove', error, { agent: entry.agent, entry: entry.name });
    });
  };
  /** Hands a persisted payload over; its copy goes once handled (or now, when not taken). */
  const hand = (
    take: (payload: unknown) => HookReceipt,
    entry: InboxEntry,
    payload: object,
  ): HookReceipt => {
    const receipt = take(payload);
    if (receipt.taken) {
      void receipt.done.then(
        async (fate) => {
          if (fate !== 'handled') return;
          // Not saved (a failing disk): the copy stays, and is replayed at the next start.
          if ((await deps.persisted?.()) === false) return;
          await forget(entry);
        },
        // Never, by contract; should it happen, the copy stays and is replayed at the next start.
        (error: unknown) => {
          deps.onError('hook_intake', error, { agent: entry.agent, entry: entry.name });
        },
      );
    }
    return receipt;
  };

  async function persist(agent: string, payload: object): Promise<InboxWrite | { kind: 'failed' }> {
    try {
      return await inbox.write(agent, JSON.stringify(payload));
    } catch (error) {
      deps.onError('hook_inbox_write', error, { agent });
      return { kind: 'failed' };
    }
  }

  async function accept(
    agent: string,
    take: (payload: unknown) => HookReceipt,
    payload: object,
    before: Promise<unknown>,
  ): Promise<HookAcceptance> {
    const written = await persist(agent, payload);
    await before;
    switch (written.kind) {
      case 'written': {
        const receipt = hand(take, written.entry, payload);
        if (receipt.taken) return { kind: 'accepted' };
        await forget(written.entry);
        return busy(`${agent} cannot take more hooks now: ${receipt.why}`);
      }
      case 'full':
        deps.onRefused(agent, 'inbox_full');
        return busy(
          `${String(written.files)} hooks (${String(written.bytes)} bytes) are waiting to be ` +
            `handled (at most ${String(MAX_INBOX_FILES)}, [limits] hook_inbox_bytes ` +
            `${String(deps.maxBytes)}); retry in ${String(FULL_RETRY_SECONDS)} s`,
        );
      case 'too_large':
        deps.onRefused(agent, 'too_large');
        return {
          kind: 'too_large',
          message: `the hook is larger than the hook inbox ([limits] hook_inbox_bytes ${String(written.maxBytes)})`,
        };
      case 'failed':
        return {
          kind: 'unavailable',
          message: 'the hook could not be stored (see the daemon log); send it again later',
        };
    }
  }

  async function replayInbox(agent: string, take: (payload: unknown) => HookReceipt) {
    let replayed = 0;
    let corrupt = 0;
    for (const entry of await inbox.left(agent)) {
      const read = await inbox.read(entry);
      if (read.kind === 'corrupt') {
        corrupt++;
        deps.onError('hook_inbox_corrupt', new Error(read.problem), {
          agent,
          movedTo: read.movedTo,
        });
      } else if (read.kind === 'payload') {
        replayed++;
        // Not taken: it stays in the inbox, for the next start.
        hand(take, entry, read.payload);
      }
    }
    if (replayed > 0 || corrupt > 0) {
      deps.log.info(
        { agent, replayed, corrupt },
        'hook inbox replayed: hooks a stopped daemon had not handled',
      );
    }
  }

  /** One spooled payload: into the inbox (waiting for room), then to the agent, like a post. */
  async function adopt(
    agent: string,
    take: (payload: unknown) => HookReceipt,
    value: unknown,
    signal: AbortSignal,
  ): Promise<void> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      deps.onRefused(agent, 'bad_payload');
      return;
    }
    for (;;) {
      if (signal.aborted) throw new Error('the daemon is stopping');
      const written = await inbox.write(agent, JSON.stringify(value));
      if (written.kind === 'written') {
        hand(take, written.entry, value);
        return;
      }
      if (written.kind === 'too_large') {
        deps.onRefused(agent, 'too_large');
        return;
      }
      await inbox.freed(signal);
    }
  }

  async function replaySpool(
    agent: string,
    take: (payload: unknown) => HookReceipt,
    signal: AbortSignal,
  ): Promise<void> {
    const spool = spoolDir(deps.stateDir, agent);
    // Each spool file is deleted once its inbox copy is on disk, never before.
    const result = await drainSpool(spool, (value) => adopt(agent, take, value, signal));
    // The forwarder spools the agent's bytes as they came: not JSON is a bad payload, as a post
    // of it is (kept in `malformed/` beside the spool).
    for (let n = 0; n < result.malformed; n++) deps.onRefused(agent, 'bad_payload');
    if (result.replayed > 0 || result.malformed > 0) {
      const title = AGENT_LIST.find((a) => a.kind === agent)?.title ?? agent;
      deps.log.info({ ...result, spool }, `spooled ${title} hook payloads replayed`);
    }
  }

  return {
    accept(agent, payload) {
      const take = deps.agents.get(agent)?.acceptHook;
      if (take === undefined) return Promise.resolve({ kind: 'disabled' });
      const accepted = accept(agent, take, payload, handing);
      // Only the order matters here: a failure reaches the route, which answers 500 and counts it.
      handing = accepted.then(
        () => undefined,
        () => undefined,
      );
      return accepted;
    },
    async replay(signal) {
      for (const [agent, instance] of deps.agents) {
        const take = instance.acceptHook;
        if (take === undefined) continue;
        for (const [what, run] of [
          ['hook_inbox_replay', () => replayInbox(agent, take)],
          ['hook_spool_replay', () => replaySpool(agent, take, signal)],
        ] as const) {
          if (signal.aborted) return;
          await run().catch((error: unknown) => {
            // Stopping mid-replay is no failure: what is left is replayed at the next start.
            if (!signal.aborted) deps.onError(what, error, { agent });
          });
        }
      }
    },
  };
}

function busy(message: string): HookAcceptance {
  return { kind: 'busy', retryAfterSeconds: FULL_RETRY_SECONDS, message };
}
