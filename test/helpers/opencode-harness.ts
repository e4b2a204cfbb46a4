import { startFakeLlm, type FakeLlm } from '../fake-llm/server.js';
import { startOpencode, type OpencodeServer } from './opencode.js';
import { createTestClient, type OpencodeTestClient } from './opencode-client.js';
import type { GlobalFrame, OpencodeEvents } from './opencode-events.js';

/** The fake LLM, a real `opencode serve` pointed at it, a client and a live event collector. */
export interface OpencodeHarness {
  readonly fake: FakeLlm;
  readonly server: OpencodeServer;
  /** The current client and event stream (both replaced by crashAndRestart). */
  readonly client: OpencodeTestClient;
  readonly events: OpencodeEvents;
  /** kill -9 the server, restart it on the same HOME and port, resubscribe; returns the old frames. */
  crashAndRestart(): Promise<readonly GlobalFrame[]>;
  /** Server stderr tail and what the fake received, for failure messages. */
  diagnostics(): string;
  /** Closes events, server (by PID) and fake; idempotent. */
  close(): Promise<void>;
}

export async function startHarness(
  options: { contextLimit?: number } = {},
): Promise<OpencodeHarness> {
  const fake = await startFakeLlm();
  let server: OpencodeServer | undefined;
  let events: OpencodeEvents | undefined;
  const closeAll = async (): Promise<void> => {
    try {
      await events?.close();
    } finally {
      try {
        await server?.stop();
      } finally {
        await fake.close();
      }
    }
  };
  try {
    server = await startOpencode({ fakeLlmUrl: fake.url, ...options });
    let client = createTestClient(server.url, server.directory);
    events = await client.subscribe();
    const running = server;
    let closed: Promise<void> | undefined;
    return {
      fake,
      server: running,
      get client() {
        return client;
      },
      get events() {
        if (events === undefined) throw new Error('no event stream');
        return events;
      },
      async crashAndRestart() {
        await running.kill9();
        const before = events?.frames() ?? [];
        await events?.close();
        events = undefined;
        await running.restart();
        client = createTestClient(running.url, running.directory);
        events = await client.subscribe();
        return before;
      },
      diagnostics() {
        const requests = fake
          .requests()
          .map((r) => `  #${r.seq} ${r.method} ${r.path} -> ${r.answeredWith}`)
          .join('\n');
        return `opencode output tail:\n${running.stderrTail()}\nfake LLM requests:\n${requests}`;
      },
      close: () => (closed ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
