import { DateTime } from 'luxon';
import { formatDuration } from '../cli/format.js';
import type { StopReasonKind } from '../core/stop-reason.js';
import type { Notification } from './notification.js';

export type Severity = 'info' | 'success' | 'warning' | 'error';

/** A notification as people read it: every channel shows these (the webhook sends both). */
export interface Message {
  readonly title: string;
  /** Plain text, lines separated by `\n`; each channel escapes it for its own markup. */
  readonly text: string;
  readonly severity: Severity;
}

export interface MessageContext {
  /** IANA zone every instant is shown in. */
  readonly zone: string;
  readonly host: string;
}

const REASONS: Readonly<Record<StopReasonKind, string>> = {
  rate_limit: 'rate limit',
  context_exhausted: 'context exhausted',
  overloaded: 'provider overloaded',
  user_exit: 'stopped by the user',
  crash: 'agent crashed',
  auth_error: 'authentication or billing failed',
  completed: 'turn completed',
  unknown: 'unknown stop',
};

/** PURE: the title and text of a notification; instants in `zone`, durations from `n.at`. */
export function renderMessage(n: Notification, ctx: MessageContext): Message {
  const body = describe(n, ctx);
  const footer = `${ctx.host} · ${clock(n.at, n.at, ctx.zone)}`;
  return { ...body, text: `${body.text}\n${footer}` };
}

function describe(n: Notification, ctx: MessageContext): Message {
  const agent = n.agent ?? 'agent';
  const session = `Session ${n.sessionId ?? '?'}`;
  switch (n.event) {
    case 'session.stopped': {
      const reason = REASONS[n.reason ?? 'unknown'];
      const severity = n.action === 'none' ? 'error' : 'warning';
      return {
        title: `${agent} stopped: ${reason}`,
        text: `${session}: ${n.detail ?? reason}\n${next(n, ctx.zone)}`,
        severity,
      };
    }
    case 'session.resumed': {
      const waited = formatDuration(n.waitedMs ?? 0);
      const how =
        n.newSessionId === undefined
          ? `${session} resumed`
          : `${session} replaced by a fresh session ${n.newSessionId}`;
      return {
        title: `${agent} resumed`,
        text: `${how} after ${waited} (attempt ${n.attempt ?? 1}).`,
        severity: 'success',
      };
    }
    case 'resume.failed':
      return {
        title: `${agent}: resume attempt ${n.attempt ?? 1} failed`,
        text: `${session}: ${n.errorType ?? 'error'}: ${n.detail ?? ''}`,
        severity: 'warning',
      };
    case 'resume.gave_up':
      return {
        title: `${agent}: gave up resuming`,
        text: `${session} (${REASONS[n.reason ?? 'unknown']}): ${n.why ?? ''}\nIt needs you now.`,
        severity: 'error',
      };
    case 'resume.needs_user':
      return {
        title: `${agent} needs you`,
        text: `${session} stopped (${REASONS[n.reason ?? 'unknown']}) and was not resumed: ${n.why ?? ''}`,
        severity: 'error',
      };
    case 'agent.gave_up':
      return {
        title: `${agent} keeps dying: left down`,
        text: `The managed ${agent} process: ${n.why ?? ''}`,
        severity: 'error',
      };
    default:
      return daemonMessage(n);
  }
}

function daemonMessage(n: Notification): Message {
  switch (n.event) {
    case 'daemon.started':
      return {
        title: 'palingenesis started',
        text: `Version ${n.version ?? '?'}, pid ${n.pid ?? '?'}: watching sessions.`,
        severity: 'info',
      };
    case 'daemon.stopped':
      return {
        title: 'palingenesis stopped',
        text: `After ${formatDuration((n.uptimeSeconds ?? 0) * 1000)}. Stopped sessions are not resumed until it runs again.`,
        severity: 'warning',
      };
    case 'config.rejected': {
      const problems = n.problems ?? [];
      const shown = problems.slice(0, 10).map((p) => `• ${p}`);
      if (problems.length > shown.length) shown.push(`• … ${problems.length - shown.length} more`);
      return {
        title: 'configuration rejected',
        text: [
          'The new configuration is invalid; the last good one stays in force.',
          ...shown,
        ].join('\n'),
        severity: 'error',
      };
    }
    case 'state.write_failed':
      return {
        title: 'palingenesis cannot save its state',
        text: `${n.detail ?? 'the state file cannot be written'}. Stops seen meanwhile are held in memory and retried; a restart now would lose them.`,
        severity: 'error',
      };
    default:
      return {
        title: 'palingenesis test notification',
        text: `Channel "${n.channel ?? '?'}" works.`,
        severity: 'info',
      };
  }
}

/** What happens next to a stopped session, with the wake time in `zone`. */
function next(n: Notification, zone: string): string {
  if (n.action === 'none' || n.wakeAt === undefined) {
    return `Not resumed: ${n.why ?? 'nothing to do'}.`;
  }
  const when =
    n.wakeAt - n.at < 60_000
      ? 'now'
      : `at ${clock(n.wakeAt, n.at, zone)} (in ${formatDuration(n.wakeAt - n.at)})`;
  switch (n.action) {
    case 'new_session':
      return `A fresh session with a handoff starts ${when}.`;
    case 'restart_agent_then_resume':
      return `The agent is restarted and the session resumed ${when}.`;
    default:
      return `Resumes ${when}.`;
  }
}

/** `04:20 Europe/Paris`, with the date in front when it is another day than `nowMs` there. */
export function clock(atMs: number, nowMs: number, zone: string): string {
  const at = DateTime.fromMillis(atMs, { zone });
  const sameDay = at.hasSame(DateTime.fromMillis(nowMs, { zone }), 'day');
  return `${at.toFormat(sameDay ? 'HH:mm' : 'yyyy-MM-dd HH:mm')} ${zone}`;
}
