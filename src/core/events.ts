import { z } from 'zod';
import { DAEMON_STATES } from './daemon-state.js';
import { AGENT_KIND_PATTERN, STOP_REASONS } from './stop-reason.js';

const agentKind = z.string().regex(AGENT_KIND_PATTERN);

/**
 * Every daemon event, defined once. The audit log, the metrics and (later) the live event stream
 * all derive from these; names are dotted, lowercase, past tense.
 */
const base = { at: z.number() };
const session = { ...base, agent: agentKind, sessionId: z.string() };
const action = z.enum(['resume_same', 'new_session', 'restart_agent_then_resume']);

export const daemonEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('session.discovered'),
    ...session,
    directory: z.string().optional(),
    title: z.string().optional(),
  }),
  z.object({
    type: z.literal('session.stopped'),
    ...session,
    reason: z.enum(STOP_REASONS),
    detail: z.string(),
    resetAt: z.number().optional(),
    resetSource: z.string().optional(),
    /** From the agent's own record of the failure to our classification, ms. */
    detectionLatencyMs: z.number().nonnegative().optional(),
    /** What the classification was based on, kept for the audit log. */
    evidence: z.unknown().optional(),
  }),
  z.object({
    type: z.literal('resume.scheduled'),
    ...session,
    action,
    reason: z.enum(STOP_REASONS),
    dueAt: z.number(),
    attempt: z.number().int().positive(),
    why: z.string(),
  }),
  z.object({
    type: z.literal('resume.started'),
    ...session,
    action,
    reason: z.enum(STOP_REASONS),
    attempt: z.number().int().positive(),
  }),
  z.object({
    type: z.literal('session.resumed'),
    ...session,
    action,
    attempt: z.number().int().positive(),
    /** From the stop to the action, ms. */
    waitedMs: z.number().nonnegative(),
    /** From starting the action to the session verified busy, ms. */
    durationMs: z.number().nonnegative(),
    savedSeconds: z.number().nonnegative(),
    newSessionId: z.string().optional(),
  }),
  z.object({
    type: z.literal('resume.failed'),
    ...session,
    attempt: z.number().int().positive(),
    errorType: z.enum(['not_verified', 'agent_unreachable', 'request_failed', 'internal']),
    message: z.string(),
  }),
  /** What was decided about a stop, with why: every stop gets one, including "do nothing". */
  z.object({
    type: z.literal('decision.made'),
    ...session,
    reason: z.enum(STOP_REASONS),
    action: z.enum(['resume_same', 'new_session', 'restart_agent_then_resume', 'none', 'give_up']),
    why: z.string(),
    dueAt: z.number().optional(),
    attempt: z.number().int().positive().optional(),
  }),
  /**
   * The agent could not be resumed safely without a person (resume_mode = "notify", a tmux pane
   * busy or not running the agent, an interactive session outside tmux): nothing was typed.
   */
  z.object({
    type: z.literal('resume.needs_user'),
    ...session,
    reason: z.enum(STOP_REASONS),
    why: z.string(),
  }),
  z.object({
    type: z.literal('resume.gave_up'),
    ...session,
    reason: z.enum(STOP_REASONS),
    why: z.string(),
  }),
  /** A pending resume became moot: the session went back to work by itself before it was due. */
  z.object({
    type: z.literal('resume.dropped'),
    ...session,
    reason: z.enum(STOP_REASONS),
    why: z.string(),
  }),
  z.object({
    type: z.literal('session.started'),
    ...session,
    fromSessionId: z.string().optional(),
  }),
  /** A managed agent process died and was started again. */
  z.object({
    type: z.literal('agent.restarted'),
    ...base,
    agent: agentKind,
    restarts: z.number().int(),
  }),
  /** A managed agent kept dying: it is left down. */
  z.object({
    type: z.literal('agent.gave_up'),
    ...base,
    agent: agentKind,
    reason: z.string(),
  }),
  z.object({
    type: z.literal('daemon.state_changed'),
    ...base,
    from: z.enum(DAEMON_STATES),
    to: z.enum(DAEMON_STATES),
  }),
  /** A person acted on one session through the API or the CLI. */
  z.object({
    type: z.literal('session.control'),
    ...session,
    command: z.enum(['pause', 'resume', 'wake', 'cancel', 'new_session']),
  }),
  /** The daemon is up: listening (when the API is enabled) and watching its agents. */
  z.object({
    type: z.literal('daemon.started'),
    ...base,
    version: z.string(),
    pid: z.number().int(),
  }),
  /** The daemon is stopping (SIGTERM, SIGINT, `daemon stop`): the last event of its run. */
  z.object({
    type: z.literal('daemon.stopped'),
    ...base,
    uptimeSeconds: z.number().nonnegative(),
  }),
  /**
   * The state file could not be written (a full disk, lost permissions): what was not saved is
   * not announced, `/health` answers 503, and the daemon retries until a write succeeds.
   */
  z.object({
    type: z.literal('state.write_failed'),
    ...base,
    path: z.string(),
    problem: z.string(),
  }),
  /** A write of the state file succeeded again after failures. */
  z.object({
    type: z.literal('state.write_recovered'),
    ...base,
    path: z.string(),
    failedForMs: z.number().nonnegative(),
  }),
  /** A new configuration was accepted: what took effect now, and what waits for a restart. */
  z.object({
    type: z.literal('config.reloaded'),
    ...base,
    trigger: z.enum(['signal', 'file', 'api']),
    applied: z.array(z.string()),
    needsRestart: z.array(z.string()),
  }),
  /** A new configuration was invalid: the last good one stays in force. */
  z.object({
    type: z.literal('config.rejected'),
    ...base,
    trigger: z.enum(['signal', 'file', 'api']),
    problems: z.array(z.string()),
  }),
]);

export type DaemonEvent = z.infer<typeof daemonEventSchema>;
export type DaemonEventType = DaemonEvent['type'];
export type EventOf<T extends DaemonEventType> = Extract<DaemonEvent, { type: T }>;
export type FailureType = EventOf<'resume.failed'>['errorType'];
