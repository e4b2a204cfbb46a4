import {
  createOpencodeClient,
  type OpencodeClient,
  type Message,
  type Part,
  type Session,
  type SessionStatus,
} from '@opencode-ai/sdk/v2/client';
import { subscribeGlobalEvents, type OpencodeEvents } from './opencode-events.js';

export interface MessageWithParts {
  readonly info: Message;
  readonly parts: Part[];
}

/** The few calls the tests make, on top of the SDK, each throwing on a non-2xx answer. */
export interface OpencodeTestClient {
  readonly sdk: OpencodeClient;
  /** Always with a title: an untitled session costs an extra LLM call to generate one. */
  createSession(title: string): Promise<Session>;
  /** `POST /session/{id}/prompt_async` (204 at once; the turn runs in the background). */
  promptAsync(sessionID: string, text: string): Promise<void>;
  abort(sessionID: string): Promise<void>;
  messages(sessionID: string): Promise<MessageWithParts[]>;
  /** `GET /session/status`: busy and retrying sessions only; idle ones are absent. */
  status(): Promise<Record<string, SessionStatus>>;
  /** Opens `GET /global/event` and collects frames until closed. */
  subscribe(): Promise<OpencodeEvents>;
}

const REQUEST_TIMEOUT_MS = 10_000;

export function createTestClient(baseUrl: string, directory: string): OpencodeTestClient {
  const sdk = createOpencodeClient({ baseUrl, directory });
  const options = (): { throwOnError: true; signal: AbortSignal } => ({
    throwOnError: true,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return {
    sdk,
    async createSession(title) {
      const { data } = await sdk.session.create({ title }, options());
      return data;
    },
    async promptAsync(sessionID, text) {
      await sdk.session.promptAsync({ sessionID, parts: [{ type: 'text', text }] }, options());
    },
    async abort(sessionID) {
      await sdk.session.abort({ sessionID }, options());
    },
    async messages(sessionID) {
      const { data } = await sdk.session.messages({ sessionID }, options());
      return data;
    },
    async status() {
      const { data } = await sdk.session.status({}, options());
      return data;
    },
    subscribe: () => subscribeGlobalEvents(sdk),
  };
}

/** The last assistant message of a session, or undefined. */
export function lastAssistant(messages: readonly MessageWithParts[]): MessageWithParts | undefined {
  return messages.filter((m) => m.info.role === 'assistant').at(-1);
}
