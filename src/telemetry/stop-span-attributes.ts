import type { Attributes } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { EventOf } from '../core/events.js';
import { isoInstant } from '../core/max-wait.js';

/**
 * PURE: the attributes of a stop trace's spans, from the events that open and close them. One
 * place for their names, which the README's "OpenTelemetry" section lists.
 */

/** How a stop's trace ended: `palingenesis.outcome` on the root (and on steps it cut short). */
export type StopOutcome =
  | 'resumed'
  | 'none'
  | 'gave_up'
  | 'needs_user'
  | 'cancelled'
  | 'superseded'
  | 'evicted'
  | 'daemon_stopped';

export const OUTCOME = 'palingenesis.outcome';

/** On every span of the trace, so any of them can be searched and grouped by agent and reason. */
export function commonAttributes(e: { agent: string; reason: string }): Attributes {
  return { 'palingenesis.agent': e.agent, 'palingenesis.reason': e.reason };
}

export function stoppedAttributes(e: EventOf<'session.stopped'>): Attributes {
  return {
    'palingenesis.session_id': e.sessionId,
    'palingenesis.detail': e.detail.slice(0, 500),
    ...(e.resetAt === undefined ? {} : { 'palingenesis.reset_at': iso(e.resetAt) }),
    ...(e.resetSource === undefined ? {} : { 'palingenesis.reset_source': e.resetSource }),
  };
}

export function detectAttributes(e: EventOf<'session.stopped'>): Attributes {
  const latency = e.detectionLatencyMs;
  return latency === undefined ? {} : { 'palingenesis.detection_latency_ms': latency };
}

export function decisionAttributes(e: EventOf<'decision.made'>): Attributes {
  return {
    'palingenesis.action': e.action,
    'palingenesis.why': e.why,
    ...(e.dueAt === undefined ? {} : { 'palingenesis.due_at': iso(e.dueAt) }),
    ...(e.attempt === undefined ? {} : { 'palingenesis.attempt': e.attempt }),
  };
}

export function waitAttributes(e: EventOf<'resume.scheduled'>): Attributes {
  return {
    'palingenesis.action': e.action,
    'palingenesis.attempt': e.attempt,
    'palingenesis.due_at': iso(e.dueAt),
  };
}

export function resumeAttributes(e: EventOf<'resume.started'>): Attributes {
  return { 'palingenesis.action': e.action, 'palingenesis.attempt': e.attempt };
}

export function resumedAttributes(e: EventOf<'session.resumed'>): Attributes {
  return {
    'palingenesis.saved_seconds': e.savedSeconds,
    ...(e.newSessionId === undefined ? {} : { 'palingenesis.new_session_id': e.newSessionId }),
  };
}

export function failedAttributes(e: EventOf<'resume.failed'>): Attributes {
  return { [ATTR_ERROR_TYPE]: e.errorType };
}

/** A trace begun at a later step: the stop itself was seen by an earlier daemon, or evicted. */
export function partialAttributes(e: { sessionId: string }): Attributes {
  return { 'palingenesis.session_id': e.sessionId, 'palingenesis.partial': true };
}

function iso(ms: number): string {
  return isoInstant(ms) ?? String(ms);
}
