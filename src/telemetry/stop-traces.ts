import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanStatus,
  type Tracer,
} from '@opentelemetry/api';
import type { DaemonEvent, EventOf } from '../core/events.js';
import { jobKey } from '../core/jobs.js';
import {
  commonAttributes,
  decisionAttributes,
  detectAttributes,
  failedAttributes,
  OUTCOME,
  partialAttributes,
  resumeAttributes,
  resumedAttributes,
  stoppedAttributes,
  waitAttributes,
  type StopOutcome,
} from './stop-span-attributes.js';

export interface StopTracesDeps {
  readonly tracer: Tracer;
  /** Only for ending what is still open when the daemon stops; events carry their own times. */
  readonly now: () => number;
  /** Stops traced at once; past it the oldest is ended (`evicted`) to make room. */
  readonly maxOpen?: number | undefined;
}

export interface StopTraces {
  readonly record: (event: DaemonEvent) => void;
  /** Ends every open trace (`daemon_stopped`); events after this are ignored. Idempotent. */
  readonly close: () => void;
  readonly openCount: () => number;
}

interface Step {
  readonly span: Span;
  readonly startedAt: number;
}

interface OpenStop {
  readonly root: Step;
  readonly parent: Context;
  readonly common: Attributes;
  /** When the last step ended: the next `decide` starts here. */
  lastAt: number;
  wait?: Step | undefined;
  resume?: Step | undefined;
}

type SessionEvent = Extract<DaemonEvent, { sessionId: string }>;
type Handlers = { [T in SessionEvent['type']]?: (event: EventOf<T>) => void };

const DEFAULT_MAX_OPEN = 1000;
const OK: SpanStatus = { code: SpanStatusCode.OK };
const error = (message: string): SpanStatus => ({ code: SpanStatusCode.ERROR, message });

/**
 * One trace per stop, built from the daemon's events with their own timestamps: a root
 * `palingenesis.stop` from the agent's record of the failure to the outcome, and children
 * `detect`, `decide`, `wait`, `resume` (again per retry). Memory is bounded by `maxOpen`.
 */
export function createStopTraces(deps: StopTracesDeps): StopTraces {
  const { tracer } = deps;
  const maxOpen = deps.maxOpen ?? DEFAULT_MAX_OPEN;
  const open = new Map<string, OpenStop>();
  let closed = false;

  function step(stop: OpenStop, name: string, at: number, attributes: Attributes): Step {
    const startedAt = Math.max(at, stop.root.startedAt);
    const options = { kind: SpanKind.INTERNAL, startTime: new Date(startedAt) };
    const span = tracer.startSpan(
      name,
      { ...options, attributes: { ...stop.common, ...attributes } },
      stop.parent,
    );
    return { span, startedAt };
  }

  function begin(key: string, at: number, common: Attributes, attributes: Attributes): OpenStop {
    const previous = open.get(key);
    if (previous !== undefined) finish(key, previous, at, 'superseded');
    const oldest = open.entries().next();
    if (!oldest.done && open.size >= maxOpen) finish(...oldest.value, at, 'evicted');
    const span = tracer.startSpan(
      'palingenesis.stop',
      {
        kind: SpanKind.INTERNAL,
        root: true,
        startTime: new Date(at),
        attributes: { ...common, ...attributes },
      },
      ROOT_CONTEXT,
    );
    const stop = {
      root: { span, startedAt: at },
      parent: trace.setSpan(ROOT_CONTEXT, span),
      common,
      lastAt: at,
    };
    open.set(key, stop);
    return stop;
  }

  function finish(
    key: string,
    stop: OpenStop,
    at: number,
    outcome: StopOutcome,
    status?: SpanStatus,
  ): void {
    for (const cut of [stop.wait, stop.resume]) {
      cut?.span.setAttribute(OUTCOME, outcome);
      if (cut !== undefined) end(cut, at);
    }
    stop.root.span.setAttribute(OUTCOME, outcome);
    if (status !== undefined) stop.root.span.setStatus(status);
    end(stop.root, at);
    open.delete(key);
  }

  /** The event's trace; without one, a partial trace starts here when the event has a reason. */
  function current(e: SessionEvent): OpenStop | undefined {
    const found = open.get(jobKey(e));
    if (found !== undefined || !('reason' in e)) return found;
    return begin(jobKey(e), e.at, commonAttributes(e), partialAttributes(e));
  }

  function endResume(
    stop: OpenStop,
    at: number,
    attributes: Attributes,
    status?: SpanStatus,
  ): void {
    if (stop.resume === undefined) return;
    stop.resume.span.setAttributes(attributes);
    if (status !== undefined) stop.resume.span.setStatus(status);
    end(stop.resume, at);
    stop.resume = undefined;
  }

  const handlers: Handlers = {
    'session.stopped': (e) => {
      const detectedAt = e.at - (e.detectionLatencyMs ?? 0);
      const stop = begin(jobKey(e), detectedAt, commonAttributes(e), stoppedAttributes(e));
      end(step(stop, 'detect', detectedAt, detectAttributes(e)), e.at);
      stop.lastAt = e.at;
    },
    'decision.made': (e) => {
      const stop = current(e);
      if (stop === undefined) return;
      end(step(stop, 'decide', stop.lastAt, decisionAttributes(e)), e.at);
      stop.lastAt = e.at;
      stop.root.span.setAttribute('palingenesis.action', e.action);
      if (e.action === 'none') finish(jobKey(e), stop, e.at, 'none');
      if (e.action === 'give_up') finish(jobKey(e), stop, e.at, 'gave_up', error(e.why));
    },
    'resume.scheduled': (e) => {
      const stop = current(e);
      if (stop === undefined) return;
      if (stop.wait !== undefined) end(stop.wait, e.at);
      stop.wait = step(stop, 'wait', e.at, waitAttributes(e));
    },
    'resume.started': (e) => {
      const stop = current(e);
      if (stop === undefined) return;
      if (stop.wait !== undefined) end(stop.wait, e.at);
      stop.wait = undefined;
      stop.resume = step(stop, 'resume', e.at, resumeAttributes(e));
    },
    'session.resumed': (e) => {
      const stop = open.get(jobKey(e));
      if (stop === undefined) return;
      endResume(stop, e.at, resumedAttributes(e), OK);
      stop.root.span.setAttributes({ ...resumedAttributes(e), 'palingenesis.attempts': e.attempt });
      finish(jobKey(e), stop, e.at, 'resumed', OK);
    },
    'resume.failed': (e) => {
      const stop = open.get(jobKey(e));
      if (stop === undefined) return;
      endResume(stop, e.at, failedAttributes(e), error(e.message));
      stop.lastAt = e.at;
    },
    'resume.needs_user': (e) => {
      const stop = open.get(jobKey(e));
      if (stop === undefined) return;
      endResume(stop, e.at, { 'palingenesis.why': e.why });
      finish(jobKey(e), stop, e.at, 'needs_user');
    },
    'resume.dropped': (e) => {
      const stop = open.get(jobKey(e));
      if (stop === undefined) return;
      stop.root.span.setAttribute('palingenesis.why', e.why);
      finish(jobKey(e), stop, e.at, 'superseded'); // ends the wait it cut short
    },
    'resume.gave_up': (e) => {
      const stop = open.get(jobKey(e)); // usually ended by the give_up decision already
      if (stop !== undefined) finish(jobKey(e), stop, e.at, 'gave_up', error(e.why));
    },
    'session.control': (e) => {
      const stop = open.get(jobKey(e));
      if (stop !== undefined && e.command === 'cancel') finish(jobKey(e), stop, e.at, 'cancelled');
      else
        stop?.root.span.addEvent(
          'session.control',
          { 'palingenesis.command': e.command },
          new Date(e.at),
        );
    },
    'session.started': (e) => {
      if (e.fromSessionId === undefined) return;
      const stop = open.get(jobKey({ agent: e.agent, sessionId: e.fromSessionId }));
      const attributes = { 'palingenesis.new_session_id': e.sessionId };
      stop?.root.span.addEvent('session.started', attributes, new Date(e.at));
    },
  };

  return {
    record(event) {
      if (closed) return;
      // The mapped type pairs each handler with its event type; TypeScript cannot see it here.
      const handler = handlers[event.type as keyof Handlers] as
        ((e: DaemonEvent) => void) | undefined;
      handler?.(event);
    },
    close() {
      if (closed) return;
      closed = true;
      const at = deps.now();
      for (const [key, stop] of [...open]) finish(key, stop, at, 'daemon_stopped');
    },
    openCount: () => open.size,
  };
}

/** Event times come from different clocks (the agent's record, ours): never end before the start. */
function end(step: Step, at: number): void {
  step.span.end(new Date(Math.max(step.startedAt, at)));
}
