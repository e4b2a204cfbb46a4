import { createOpencodeClient, type OpencodeClient } from '@opencode-ai/sdk/v2/client';
import { z } from 'zod';
import type { AgentAdapter, Observation, SessionRef } from '../adapter.js';
import { parseMessages, type OpencodeMessage } from './frames.js';
import { handoffFromMessages } from './evidence.js';
import { watchOpencode } from './watch.js';

export interface OpencodeAdapterOptions {
  readonly url: string;
  readonly username: string;
  /** Empty: no authentication. */
  readonly password: string;
  readonly now: () => number;
  /** Abortable sleep, so a stopping daemon never waits out a reconnect delay. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly reconnect: { readonly baseMs: number; readonly maxMs: number };
  /** Sessions the daemon tracks: re-checked after every reconnect. */
  readonly tracked: () => readonly SessionRef[];
  /** A caught failure, logged and counted; `kind` is a short fixed word (see AgentDeps). */
  readonly onError: (kind: string, error: unknown) => void;
}

const REQUEST_TIMEOUT_MS = 15_000;

export function createOpencodeAdapter(options: OpencodeAdapterOptions): AgentAdapter {
  const headers =
    options.password === ''
      ? undefined
      : {
          authorization: `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`,
        };
  const client = createOpencodeClient({ baseUrl: options.url, ...(headers ? { headers } : {}) });
  const call = () => ({
    throwOnError: true as const,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const messages = async (ref: SessionRef): Promise<OpencodeMessage[]> => {
    const { data } = await client.session.messages(
      { sessionID: ref.sessionId, directory: ref.directory },
      call(),
    );
    return parseMessages(data);
  };

  return {
    agent: 'opencode',
    watch: (emit: (o: Observation) => void, signal: AbortSignal) =>
      watchOpencode({ client, options, emit, signal, messages }),
    async sendPrompt(ref, text) {
      await client.session.promptAsync(
        { sessionID: ref.sessionId, directory: ref.directory, parts: [{ type: 'text', text }] },
        call(),
      );
    },
    async startSession(directory, title, text) {
      const { data } = await client.session.create({ directory, title }, call());
      const session = z.object({ id: z.string(), directory: z.string().optional() }).parse(data);
      const ref: SessionRef = {
        agent: 'opencode',
        sessionId: session.id,
        directory: session.directory ?? directory,
      };
      await this.sendPrompt(ref, text);
      return ref;
    },
    async exportSession(ref) {
      const { data } = await client.session.messages(
        { sessionID: ref.sessionId, directory: ref.directory },
        call(),
      );
      return data;
    },
    async lastMessageAt(ref) {
      return (await messages(ref)).at(-1)?.info.time.created;
    },
    async workedSince(ref, at) {
      return (await messages(ref)).some(
        (m) => m.info.role === 'assistant' && m.info.time.created >= at,
      );
    },
    async handoffContext(ref) {
      const [history, todo] = await Promise.all([messages(ref), todos(client, ref, call())]);
      return handoffFromMessages(history, todo);
    },
  };
}

async function todos(
  client: OpencodeClient,
  ref: SessionRef,
  opts: { throwOnError: true; signal: AbortSignal },
): Promise<{ content: string; status: string }[]> {
  const { data } = await client.session.todo(
    { sessionID: ref.sessionId, directory: ref.directory },
    opts,
  );
  return z.array(z.object({ content: z.string(), status: z.string() })).parse(data);
}
