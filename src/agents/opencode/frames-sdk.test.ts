import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  EventServerConnected,
  EventSessionCreated,
  EventSessionError,
  EventSessionIdle,
  EventSessionStatus,
  EventSessionUpdated,
  EventTodoUpdated,
  GlobalEvent,
  SessionMessagesResponses,
} from '@opencode-ai/sdk/v2';
import {
  parseFrame,
  parseMessages,
  type OpencodeMessageInput,
  type OpencodePayloadInput,
} from './frames.js';

/**
 * The zod schemas in frames.ts are written by hand (they check only what palingenesis reads);
 * these types tie them to @opencode-ai/sdk so that an SDK upgrade that changes a shape we rely on
 * fails `npm run typecheck` here, instead of turning every frame into a "malformed" one at run time.
 */
type Fits<Sdk, Ours> = [Sdk] extends [Ours] ? true : false;
/** The member of our payload union that accepts events of type T (one member takes two types). */
type Payload<T extends OpencodePayloadInput['type'], U = OpencodePayloadInput> = U extends {
  type: infer K;
}
  ? T extends K
    ? U
    : never
  : never;

const sdkFitsOurSchemas: [
  Fits<EventServerConnected, Payload<'server.connected'>>,
  Fits<EventSessionStatus, Payload<'session.status'>>,
  Fits<EventSessionIdle, Payload<'session.idle'>>,
  Fits<EventSessionError, Payload<'session.error'>>,
  Fits<EventTodoUpdated, Payload<'todo.updated'>>,
  Fits<EventSessionCreated, Payload<'session.created'>>,
  Fits<EventSessionUpdated, Payload<'session.updated'>>,
  Fits<SessionMessagesResponses[200][number], OpencodeMessageInput>,
] = [true, true, true, true, true, true, true, true];

describe('frames.ts against the @opencode-ai/sdk types', () => {
  it('every SDK shape we read fits our schemas (checked by the compiler)', () => {
    assert.ok(sdkFitsOurSchemas.every(Boolean));
  });

  it('an SDK-typed frame and message list parse at run time', () => {
    const frame: GlobalEvent = {
      directory: '/work/project',
      payload: {
        id: 'evt_1',
        type: 'session.status',
        properties: {
          sessionID: 'ses_1',
          status: { type: 'retry', attempt: 2, message: 'Rate limited', next: 1_700_000_000_000 },
        },
      },
    };
    const parsed = parseFrame(frame);
    assert.equal(parsed.kind, 'event');
    assert.equal(parsed.payload.type, 'session.status');

    const messages: SessionMessagesResponses[200] = [
      {
        info: {
          id: 'msg_1',
          sessionID: 'ses_1',
          role: 'user',
          time: { created: 1 },
          agent: 'build',
          model: { providerID: 'fake', modelID: 'fake-model' },
        },
        parts: [
          { id: 'prt_1', sessionID: 'ses_1', messageID: 'msg_1', type: 'text', text: 'Hello.' },
        ],
      },
    ];
    assert.equal(parseMessages(messages)[0]?.parts[0]?.text, 'Hello.');
  });
});
