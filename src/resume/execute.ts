import type { Logger } from 'pino';
import { NeedsUserError, type AgentAdapter, type SessionRef } from '../agents/adapter.js';
import type { Config } from '../config/schema.js';
import { jobKey, type ResumeJob, type SessionRecord } from '../core/jobs.js';
import type { Input, Outcome } from '../core/resume-reducer.js';
import type { Clock } from '../jobs/clock.js';
import { backupSession, composeHandoff } from './handoff.js';
import type { ActivityWaiters } from './waiters.js';

export interface ExecuteDeps {
  readonly clock: Clock;
  readonly config: Config;
  readonly adapters: ReadonlyMap<string, AgentAdapter>;
  readonly log: Logger;
  readonly backupDir: string;
  readonly waiters: ActivityWaiters;
  /** Aborted when the daemon stops: the job is left as saved, and the attempt costs nothing. */
  readonly signal: AbortSignal;
  readonly record: (ref: SessionRef) => SessionRecord | undefined;
  /** Saves a step of the job (and announces it once saved); false when the write failed. */
  readonly persist: (input: Input) => Promise<boolean>;
  /** A failure logged here that no outcome carries, to be counted. `kind` is a short fixed word. */
  readonly onError?: ((kind: string) => void) | undefined;
}

/** Where the action went, and since when that session's activity counts as the answer. */
type Acted =
  | { readonly kind: 'acted'; readonly target: SessionRef; readonly since: number }
  | { readonly kind: 'aborted' };

const ABORTED: Outcome = { kind: 'aborted' };

/**
 * Carries out one due job: act, verify that the session went busy, and say what came of it. The
 * engine alone decides what follows an outcome; nothing here changes a job but its own steps
 * (sent, new session started), each saved before it is acted on.
 */
export async function executeJob(job: ResumeJob, d: ExecuteDeps): Promise<Outcome> {
  const key = jobKey(job);
  const ref: SessionRef = { agent: job.agent, sessionId: job.sessionId, directory: job.directory };
  const startedAt = d.clock.now();
  const failed = (
    type: Extract<Outcome, { kind: 'failed' }>['type'],
    message: string,
  ): Outcome => ({
    kind: 'failed',
    at: d.clock.now(),
    type,
    message,
  });
  // A function, not the property: it changes while this runs.
  const aborted = (): boolean => d.signal.aborted;
  const adapter = d.adapters.get(job.agent);
  if (adapter === undefined)
    return failed('agent_unreachable', `no ${job.agent} adapter is enabled`);
  try {
    const acted = await act(job, ref, adapter, startedAt, d);
    if (acted.kind === 'aborted' || aborted()) return ABORTED;
    const { target, since } = acted;
    const timeoutMs = d.config.resume.verify_timeout_seconds * 1000;
    let verified = await d.waiters.wait(jobKey(target), since, timeoutMs);
    if (aborted()) return ABORTED;
    verified ||= await answeredAnyway(adapter, target, since, d);
    if (!verified) {
      return failed(
        'not_verified',
        `session did not become busy within ${d.config.resume.verify_timeout_seconds}s`,
      );
    }
    const waitedMs = Math.max(0, startedAt - job.stoppedAt);
    return {
      kind: 'saved',
      at: d.clock.now(),
      startedAt,
      savedSeconds: waitedMs / 1000 + d.config.metrics.manual_restart_time_seconds,
      newSessionId: target.sessionId === job.sessionId ? undefined : target.sessionId,
    };
  } catch (error) {
    // Stopping mid-request: the job stays as saved (sent, or not) and is checked after a restart.
    if (aborted()) return ABORTED;
    if (error instanceof NeedsUserError) {
      d.log.warn({ session: key, why: error.message }, 'resume needs a person');
      return { kind: 'needs_user', at: d.clock.now(), why: error.message };
    }
    d.log.warn({ session: key, attempt: job.attempt, err: error }, 'resume attempt failed');
    return failed('request_failed', describe(error));
  }
}

/**
 * No busy observation in time, yet the agent may have answered: the event stream can be down
 * (reconnecting after the agent restarted) while the prompt was taken. Its own record decides.
 */
async function answeredAnyway(
  adapter: AgentAdapter,
  target: SessionRef,
  since: number,
  d: ExecuteDeps,
): Promise<boolean> {
  if (adapter.workedSince === undefined) return false;
  try {
    const worked = await adapter.workedSince(target, since);
    if (worked) {
      d.log.info(
        { session: jobKey(target) },
        'resume verified from the session record (no busy event arrived in time)',
      );
    }
    return worked;
  } catch (error) {
    // The outcome says `not_verified`; that the record could not be read is counted here.
    d.log.warn({ session: jobKey(target), err: error }, 'could not read the session to verify');
    d.onError?.('verify_read');
    return false;
  }
}

/**
 * Performs the job's action at most once. Each step is saved before it happens: a job sent
 * before a daemon restart is checked, not sent again, and a new session already started is
 * verified, not started twice.
 */
async function act(
  job: ResumeJob,
  ref: SessionRef,
  adapter: AgentAdapter,
  now: number,
  d: ExecuteDeps,
): Promise<Acted> {
  if (job.action !== 'new_session') {
    const answered =
      job.sentAt !== undefined && ((await adapter.lastMessageAt(ref)) ?? -Infinity) >= job.sentAt;
    if (!(await d.persist({ kind: 'sent', job, at: now, send: !answered }))) return ABORTED_ACT;
    if (answered) return { kind: 'acted', target: ref, since: job.sentAt ?? now };
    const prompt =
      job.reason === 'crash' ? d.config.resume.interrupted_prompt : d.config.resume.continue_prompt;
    await adapter.sendPrompt(ref, prompt);
    return { kind: 'acted', target: ref, since: now };
  }
  if (job.startedSessionId !== undefined) {
    if (!(await d.persist({ kind: 'sent', job, at: now, send: false }))) return ABORTED_ACT;
    const target = { agent: job.agent, sessionId: job.startedSessionId, directory: ref.directory };
    return { kind: 'acted', target, since: job.sentAt ?? now };
  }
  if (!(await d.persist({ kind: 'sent', job, at: now, send: true }))) return ABORTED_ACT;
  if (d.config.resume.backup_before_new) {
    const path = await backupSession(adapter, ref, d.backupDir, now);
    d.log.info({ session: jobKey(job), backup: path }, 'session backed up before replacement');
  }
  const handoff = await composeHandoff(adapter, ref, d.config.resume.handoff_file);
  const title = `${d.record(ref)?.title ?? 'Session'} (continued)`;
  const next = await adapter.startSession(
    ref.directory,
    title,
    `${d.config.resume.new_session_prompt}\n\n${handoff}`,
  );
  // Not saved (a full disk): the new session is verified all the same; a restart before the
  // outcome is saved would start another, which the log line tells.
  if (
    !(await d.persist({
      kind: 'session_started',
      job,
      newSessionId: next.sessionId,
      at: d.clock.now(),
    }))
  ) {
    d.log.warn(
      { session: jobKey(job), newSession: next.sessionId },
      'the new session could not be saved in the job',
    );
  }
  return { kind: 'acted', target: next, since: now };
}

const ABORTED_ACT: Acted = { kind: 'aborted' };

function describe(error: unknown): string {
  return error instanceof Error
    ? error.message
    : typeof error === 'string'
      ? error
      : JSON.stringify(error);
}
