import { z } from 'zod';
import { daemonEventSchema, type DaemonEvent } from '../core/events.js';
import {
  formatClock,
  formatCountdown,
  formatDuration,
  formatTimestamp,
  type Colour,
  type Paint,
} from './format.js';

/** An event this CLI knows, or one a newer daemon sent that it does not (shown generically). */
export type ShownEvent =
  | { readonly known: true; readonly event: DaemonEvent }
  | { readonly known: false; readonly event: LooseEvent };

const looseEvent = z.looseObject({ type: z.string(), at: z.number() });
type LooseEvent = z.infer<typeof looseEvent>;

/** SSE `data` → an event, checked; undefined when it is not even `{type, at}` JSON. */
export function parseEventData(data: string): ShownEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  const known = daemonEventSchema.safeParse(value);
  if (known.success) return { known: true, event: known.data };
  const loose = looseEvent.safeParse(value);
  return loose.success ? { known: false, event: loose.data } : undefined;
}

export interface LineOptions {
  readonly nowMs: number;
  readonly zone: string;
  readonly paint: Paint;
}

const TYPE_COLOUR: Partial<Record<string, Colour>> = {
  'session.stopped': 'yellow',
  'resume.scheduled': 'cyan',
  'session.resumed': 'green',
  'resume.failed': 'red',
  'resume.gave_up': 'red',
  'agent.gave_up': 'red',
  'resume.needs_user': 'magenta',
  'config.rejected': 'red',
  'state.write_failed': 'red',
  'state.write_recovered': 'green',
};

/** One line: local time, type, agent/session, then the facts that matter for that type. */
export function describeEvent(shown: ShownEvent, id: number | undefined, o: LineOptions): string {
  const { event } = shown;
  const type = event.type.padEnd(20);
  const parts = [
    o.paint('dim', formatTimestamp(event.at, o.nowMs, { zone: o.zone })),
    o.paint(TYPE_COLOUR[event.type] ?? 'bold', type),
  ];
  const subject = subjectOf(event);
  if (subject !== undefined) parts.push(subject);
  const facts = shown.known ? factsOf(shown.event, o) : genericFacts(shown.event);
  if (facts !== '') parts.push(facts);
  if (id !== undefined) parts.push(o.paint('dim', `#${id}`));
  return parts.join('  ');
}

function subjectOf(event: Readonly<Record<string, unknown>>): string | undefined {
  const agent = typeof event['agent'] === 'string' ? event['agent'] : undefined;
  const session = typeof event['sessionId'] === 'string' ? event['sessionId'] : undefined;
  if (agent === undefined) return undefined;
  return session === undefined ? agent : `${agent}/${session}`;
}

function factsOf(e: DaemonEvent, o: LineOptions): string {
  const clock = (atMs: number): string => formatClock(atMs, o.nowMs, o.zone);
  switch (e.type) {
    case 'session.discovered':
      return [e.title, e.directory].filter((s) => s !== undefined && s !== '').join(' in ');
    case 'session.stopped':
      return join(
        `${e.reason}: ${oneLine(e.detail)}`,
        e.resetAt === undefined ? undefined : `resets ${clock(e.resetAt)}`,
      );
    case 'resume.scheduled':
      return join(
        `${e.reason}, ${e.action} attempt ${e.attempt}: resumes ${formatCountdown(e.dueAt, o.nowMs, o.zone)}`,
        oneLine(e.why),
      );
    case 'resume.started':
      return `${e.reason}, ${e.action} attempt ${e.attempt}`;
    case 'session.resumed':
      return join(
        `${e.action} attempt ${e.attempt}, waited ${formatDuration(e.waitedMs)}, saved ${formatDuration(e.savedSeconds * 1000)}`,
        e.newSessionId === undefined ? undefined : `new session ${e.newSessionId}`,
      );
    case 'resume.failed':
      return `attempt ${e.attempt}: ${e.errorType}: ${oneLine(e.message)}`;
    case 'decision.made':
      return join(
        `${e.reason} → ${e.action}`,
        e.dueAt === undefined ? undefined : `due ${formatCountdown(e.dueAt, o.nowMs, o.zone)}`,
        oneLine(e.why),
      );
    case 'resume.needs_user':
    case 'resume.gave_up':
    case 'resume.dropped':
      return `${e.reason}: ${oneLine(e.why)}`;
    case 'session.started':
      return e.fromSessionId === undefined ? '' : `replaces ${e.fromSessionId}`;
    case 'agent.restarted':
      return `restart ${e.restarts}`;
    case 'agent.gave_up':
      return oneLine(e.reason);
    case 'daemon.state_changed':
      return `${e.from} → ${e.to}`;
    case 'daemon.started':
      return `version ${e.version}, pid ${e.pid}`;
    case 'daemon.stopped':
      return `after ${formatDuration(e.uptimeSeconds * 1000)}`;
    default:
      return genericFacts(e);
  }
}

const SHOWN_ELSEWHERE = new Set(['type', 'at', 'agent', 'sessionId', 'evidence']);

/** `key=value` for every field not already on the line: for event types without their own line. */
function genericFacts(event: object): string {
  return Object.entries(event)
    .filter(([key, value]) => !SHOWN_ELSEWHERE.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}

function join(...parts: (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' — ');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
