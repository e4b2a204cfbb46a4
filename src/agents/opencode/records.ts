import type { RecordReading } from '../definition.js';
import { z } from 'zod';
import { errorEvidence, stopEvidence } from './evidence.js';
import { errorSchema, messageSchema, type OpencodeError } from './frames.js';

/**
 * `classify --agent opencode`: an opencode error object anywhere in the value (a message's
 * `info.error`, a `session.error` event's `payload.properties.error`), judged as the daemon
 * judges the session's last assistant message.
 */
export function readOpencodeRecord(value: unknown): RecordReading {
  // Messages (the session's, or one): the last assistant message decides, as in the daemon.
  const messages = z.array(messageSchema).safeParse(Array.isArray(value) ? value : [value]);
  if (messages.success && messages.data.some((m) => m.info.role === 'assistant')) {
    const { evidence } = stopEvidence(messages.data, false);
    const last = evidence.lastAssistant;
    if (last?.error !== undefined) return { kind: 'stop', evidence, source: 'opencode:message' };
    return last?.completed === true
      ? { kind: 'no_stop', completed: true, source: 'opencode:message' }
      : { kind: 'no_stop', completed: false, source: 'opencode:message' };
  }
  const error = findAgentError(value);
  if (error === undefined) return { kind: 'irrelevant' };
  return {
    kind: 'stop',
    evidence: {
      agent: 'opencode',
      lastAssistant: { completed: true, error: errorEvidence(error) },
    },
    source: 'opencode:error',
  };
}

/** The first agent error object anywhere in the value (events wrap it in payload.properties). */
function findAgentError(value: unknown, depth = 0): OpencodeError | undefined {
  if (depth > 6 || typeof value !== 'object' || value === null) return undefined;
  // Only objects shaped like an agent error (`{name: '…Error', data}`), not any `name` field.
  const direct = errorSchema.safeParse(value);
  if (direct.success && direct.data.name.endsWith('Error')) return direct.data;
  for (const child of Object.values(value)) {
    const found = findAgentError(child, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
