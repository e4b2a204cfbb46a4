import type { SessionStatus } from '@opencode-ai/sdk/v2/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordedRequest } from '../fake-llm/server.js';
import type { MessageWithParts } from './opencode-client.js';
import { isEvent, type GlobalFrame } from './opencode-events.js';
import type { OpencodeHarness } from './opencode-harness.js';

/** What a scenario observed at one point: frames since the previous point, status and messages. */
export interface ScenarioPhase {
  readonly name: string;
  readonly events: readonly GlobalFrame[];
  readonly status?: Record<string, SessionStatus>;
  readonly messages?: readonly MessageWithParts[];
}

export interface ScenarioRun {
  readonly scenario: string;
  readonly description: string;
  readonly sessionID: string;
  readonly phases: readonly ScenarioPhase[];
  readonly llmRequests: readonly RecordedRequest[];
}

/** Generous: the slowest turn (a 429 outlasting 5 retries at 100 ms) takes ~2 s. */
export const TURN_TIMEOUT_MS = 30_000;
/**
 * opencode 1.18.33 still sends frames after the first `session.idle`. When a turn ends in an error
 * (429, abort) it sends `session.error`, `idle`, and only then (1–15 ms later) the assistant
 * `message.updated` carrying `error` and `time.completed`, followed by a second `idle`. Reading
 * the messages right at the first idle can therefore see the unfinished message of a crash.
 */
const SETTLE_MS = 300;

/** Sends a prompt and returns the event mark to wait from. */
export async function beginTurn(
  h: OpencodeHarness,
  sessionID: string,
  text: string,
): Promise<number> {
  const mark = h.events.mark();
  await h.client.promptAsync(sessionID, text);
  return mark;
}

/** Waits for `session.idle` after `mark`, then snapshots the frames, status and messages. */
export async function endTurn(
  h: OpencodeHarness,
  sessionID: string,
  mark: number,
  name: string,
): Promise<ScenarioPhase> {
  await h.events.waitForEvent(isEvent('session.idle', sessionID), TURN_TIMEOUT_MS, mark);
  await sleep(SETTLE_MS);
  return {
    name,
    events: h.events.frames().slice(mark),
    status: await h.client.status(),
    messages: await h.client.messages(sessionID),
  };
}

/** Waits until the assistant's answer is streaming (a text delta arrived for the session). */
export async function waitStreaming(
  h: OpencodeHarness,
  sessionID: string,
  mark: number,
): Promise<void> {
  await h.events.waitForEvent(isEvent('message.part.delta', sessionID), TURN_TIMEOUT_MS, mark);
}

/**
 * The session's lifecycle frames in order, as short strings (`status:busy`, `status:retry#2`,
 * `error:APIError`, `compacted`, `idle`), with consecutive repeats collapsed.
 */
export function timeline(events: readonly GlobalFrame[], sessionID: string): string[] {
  const out: string[] = [];
  for (const { payload } of events) {
    const props = payload.properties ?? {};
    if (props['sessionID'] !== sessionID) continue;
    const entry = timelineEntry(payload.type, props);
    if (entry !== undefined && out.at(-1) !== entry) out.push(entry);
  }
  return out;
}

/**
 * The timeline up to and including the first `idle`, and what follows. opencode 1.18.33 sends
 * `session.status idle` + `session.idle` twice (~10 ms apart) when a turn ends in an error, so
 * consumers must treat idle as idempotent; the tail must hold nothing but those repeats.
 */
export function untilIdle(entries: readonly string[]): { head: string[]; tail: string[] } {
  const cut = entries.indexOf('idle') + 1;
  if (cut === 0) return { head: [...entries], tail: [] };
  return { head: entries.slice(0, cut), tail: entries.slice(cut) };
}

function timelineEntry(type: string, props: Record<string, unknown>): string | undefined {
  const named = (value: unknown, key: string): unknown =>
    typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)[key]
      : undefined;
  switch (type) {
    case 'session.status': {
      const status = props['status'];
      const kind = String(named(status, 'type'));
      return kind === 'retry'
        ? `status:retry#${String(named(status, 'attempt'))}`
        : `status:${kind}`;
    }
    case 'session.error':
      return `error:${String(named(props['error'], 'name'))}`;
    case 'session.compacted':
      return 'compacted';
    case 'session.idle':
      return 'idle';
    default:
      return undefined;
  }
}
