import type { SessionRef } from '../core/jobs.js';
import type { AgentKind, StopEvidence } from '../core/stop-reason.js';

export type { SessionRef };

/** What an adapter reports, normalised across agents. `at` is epoch ms, from the daemon's clock. */
export type Observation =
  | {
      readonly kind: 'connection';
      readonly agent: AgentKind;
      readonly up: boolean;
      readonly at: number;
      readonly detail?: string;
    }
  | {
      readonly kind: 'discovered';
      readonly ref: SessionRef;
      readonly title?: string | undefined;
      readonly at: number;
    }
  | { readonly kind: 'busy'; readonly ref: SessionRef; readonly at: number }
  /** The agent itself is waiting to retry (it honours the provider's headers): record, don't act. */
  | {
      readonly kind: 'retrying';
      readonly ref: SessionRef;
      readonly attempt: number;
      readonly message: string;
      readonly nextAt: number;
      readonly at: number;
    }
  /** The decision point: the session went idle (or was found idle after the agent came back). */
  | {
      readonly kind: 'stopped';
      readonly ref: SessionRef;
      readonly evidence: StopEvidence;
      /** When the agent recorded the failure (epoch ms), for detection latency. */
      readonly recordedAt?: number | undefined;
      /** The agent's id of the last message: the same stop seen twice (a resync) is one stop. */
      readonly messageId?: string | undefined;
      readonly at: number;
    }
  | {
      readonly kind: 'todos';
      readonly ref: SessionRef;
      readonly completed: number;
      readonly total: number;
      readonly at: number;
    }
  /**
   * Input of the agent's that did not parse or match its schema (an event-stream frame, a line
   * of a transcript or of a headless run's output, a session file): skipped, never fatal, and
   * counted as `palingenesis_errors_total{component="agent",kind="malformed_<unit>"}`.
   */
  | {
      readonly kind: 'malformed';
      readonly agent: AgentKind;
      readonly unit: MalformedUnit;
      /** How many were skipped (a read of a transcript can skip several lines at once). */
      readonly count: number;
      readonly detail: string;
      readonly at: number;
    };

/** What a `malformed` observation counts: a fixed word, so the metric label stays bounded. */
export type MalformedUnit = 'frame' | 'line' | 'file';

/** What a fresh session is told when the old one's context is exhausted. */
export interface HandoffContext {
  readonly task?: string | undefined;
  readonly todos: readonly { readonly content: string; readonly status: string }[];
  readonly lastAssistantText?: string | undefined;
}

/** The one interface every agent implements. Adding an agent is a folder and one registration. */
export interface AgentAdapter {
  readonly agent: AgentKind;
  /**
   * Resuming a session whose context is full makes the agent compact it first (Codex): the
   * engine resumes the same session once before it starts a new one with a handoff.
   */
  readonly compactsOnResume?: boolean;
  /** Watches until `signal` aborts, reconnecting by itself; resolves when stopped. */
  watch(emit: (observation: Observation) => void, signal: AbortSignal): Promise<void>;
  /** Queues a prompt in an existing session; resolves once the agent accepted it. */
  sendPrompt(ref: SessionRef, text: string): Promise<void>;
  /** Starts a session in `directory` with a first prompt; returns the new session. */
  startSession(directory: string | undefined, title: string, text: string): Promise<SessionRef>;
  /** The session's full record, for a backup before it is replaced. */
  exportSession(ref: SessionRef): Promise<unknown>;
  handoffContext(ref: SessionRef): Promise<HandoffContext>;
  /** When the session's newest message was created (epoch ms), if it has any. */
  lastMessageAt(ref: SessionRef): Promise<number | undefined>;
  /**
   * Whether the agent answered in the session at or after `at` (epoch ms): the proof that a
   * resume took when no busy observation arrived in time (the event stream was down). Optional:
   * an adapter without a reliable record of answers leaves verification to observations.
   */
  workedSince?(ref: SessionRef, at: number): Promise<boolean>;
}

/**
 * Thrown by an adapter that cannot act without risk (it would type into the wrong window, or the
 * user chose notify-only): the job ends without a retry and a person is told.
 */
export class NeedsUserError extends Error {
  override readonly name = 'NeedsUserError';
}
