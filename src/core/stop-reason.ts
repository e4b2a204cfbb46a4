/** Why a session stopped, as the pure core sees it. Shared by every agent. */
export const STOP_REASONS = [
  'rate_limit',
  'context_exhausted',
  'overloaded',
  'user_exit',
  'crash',
  /** Authentication or billing failed: only a person can fix it. */
  'auth_error',
  'completed',
  'unknown',
] as const;
export type StopReasonKind = (typeof STOP_REASONS)[number];

/**
 * Which agent a session belongs to: the `kind` of a registered agent (src/agents/registry.ts),
 * e.g. `claude-code`. The core names no agent: every rule here holds for all of them.
 */
export type AgentKind = string;
/** What an agent kind looks like (lowercase, digits, dashes): the shape persisted and exported. */
export const AGENT_KIND_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** An error an agent recorded on its last turn, normalised across agents. */
export interface AgentErrorEvidence {
  /** The agent's error name, e.g. `APIError`, `ContextOverflowError`, `MessageAbortedError`. */
  readonly name: string;
  readonly message?: string | undefined;
  readonly statusCode?: number | undefined;
  readonly isRetryable?: boolean | undefined;
  /** Response headers of the failed provider call, names lower-cased. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | undefined;
  /**
   * The agent's own verdict, when it names one (Claude Code's `error` codes: `rate_limit`,
   * `overloaded`, …): trusted over pattern matching on the text.
   */
  readonly kind?: StopReasonKind | undefined;
  /** A structured reset instant from the agent (epoch ms; Claude Code's `resetsAt`). */
  readonly resetAt?: number | undefined;
}

/** What was seen of a session when it went idle (or its agent went away). */
export interface StopEvidence {
  readonly agent: AgentKind;
  /** The last assistant message; absent when the session has none. */
  readonly lastAssistant?:
    | {
        /** The agent marked the message complete (opencode: `time.completed`). */
        readonly completed: boolean;
        /** The model's finish reason: `stop`, `length`, `error`, `tool-calls`, … */
        readonly finish?: string | undefined;
        readonly error?: AgentErrorEvidence | undefined;
      }
    | undefined;
  /** The agent process died or restarted while this turn was running. */
  readonly agentRestarted?: boolean | undefined;
}

export interface StopReason {
  readonly reason: StopReasonKind;
  /** Absolute instant (epoch ms) when the limit resets, when the evidence says. */
  readonly resetAt?: number | undefined;
  /** Where `resetAt` came from, for the audit log and `palingenesis classify`. */
  readonly resetSource?: string | undefined;
  /**
   * Set when the evidence stated a reset further away than `MAX_WAIT_MS` and `resetAt` was
   * clamped to it, e.g. "reset 6,944,444,444 days away clamped to the 31-day maximum". `detail`
   * ends with it too.
   */
  readonly clampNote?: string | undefined;
  /** A short human explanation. */
  readonly detail: string;
  readonly evidence: StopEvidence;
}
