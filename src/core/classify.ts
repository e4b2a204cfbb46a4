import { boundReset } from './max-wait.js';
import { resetFromHeaders } from './reset-headers.js';
import { parseStopText, readResetFromText, type StopText } from './stop-text.js';
import type {
  AgentErrorEvidence,
  StopEvidence,
  StopReason,
  StopReasonKind,
} from './stop-reason.js';

/**
 * Works out why a session stopped. Pure: `now` (epoch ms) is given, nothing is read.
 * Called at the decision point (the session went idle, or its agent came back after dying),
 * never on an intermediate error: agents retry and compact by themselves first.
 * `zone` (IANA) reads wall-clock reset times whose message names no zone: the configured zone,
 * else the system's, which is the zone the agent on this machine wrote its banner in.
 */
export function classify(
  evidence: StopEvidence,
  now: number,
  zone: string = systemZone(),
): StopReason {
  const last = evidence.lastAssistant;
  const result = (reason: StopReasonKind, detail: string, extra: Partial<StopReason> = {}) => ({
    reason,
    detail,
    evidence,
    ...extra,
  });
  if (last === undefined) return result('unknown', 'the session has no assistant message');
  if (last.error !== undefined) return classifyError(last.error, evidence, now, zone);
  if (!last.completed) {
    return evidence.agentRestarted === true
      ? result('crash', 'the agent died before the last assistant message finished')
      : result('unknown', 'the last assistant message has not finished');
  }
  if (last.finish === 'error') return result('unknown', 'the turn finished with an unnamed error');
  return result('completed', `the turn completed (finish: ${last.finish ?? 'none'})`);
}

const RATE_LIMIT_TEXT =
  /rate[ _-]?limit|usage limit|hit your (?:\w+ )?limit|too many requests|quota|resource_exhausted|out of extra usage/i;
const CONTEXT_TEXT =
  /context[ _-]?(?:length|window|limit|overflow)|prompt is too long|too large to compact|conversation too long|maximum context/i;
const OVERLOADED_TEXT =
  /overloaded|server[ _]error|service unavailable|bad gateway|gateway timeout/i;
const OVERLOADED_STATUS = new Set([500, 502, 503, 504, 529]);
/**
 * An authentication or billing failure, whichever agent met it: no wait fixes it. A bare "401"
 * in prose is not one; OpenAI's `insufficient_quota` ("Check your plan and billing details") is
 * billing although it comes as a 429 and Codex files it as a usage limit.
 */
const AUTH_TEXT =
  /\b(?:authentication_failed|invalid[ _]api[ _]key|incorrect api key|OAuth token has expired|insufficient_quota|check your plan and billing details|billing_error)\b/i;

function classifyError(
  error: AgentErrorEvidence,
  evidence: StopEvidence,
  now: number,
  zone: string,
): StopReason {
  const text = `${error.name} ${error.message ?? ''} ${error.body ?? ''}`;
  const prose = `${error.message ?? ''}\n${error.body ?? ''}`;
  const read = parseStopText(prose, now, zone);
  const said = read.kind;
  const withReset = (reason: StopReasonKind, detail: string): StopReason => {
    const reset = statedReset(error, read, prose, now, zone);
    // The one place a stated reset becomes the stop's: bounded here whatever its reader did.
    const bounded = reset === undefined ? undefined : boundReset(reset.resetAt, now);
    if (reset === undefined || bounded === undefined) return { reason, detail, evidence };
    const note = bounded.clampNote ?? reset.clampNote;
    return {
      reason,
      detail: note === undefined ? detail : `${detail}; ${note}`,
      evidence,
      resetAt: bounded.resetAt,
      resetSource: reset.source,
      ...(note === undefined ? {} : { clampNote: note }),
    };
  };
  const what = `${error.name}${error.statusCode === undefined ? '' : ` ${error.statusCode}`}`;

  if (error.kind !== undefined) {
    const detail = `${what}: ${error.message ?? error.kind}`;
    return error.kind === 'rate_limit' || error.kind === 'overloaded'
      ? withReset(error.kind, detail)
      : { reason: error.kind, detail, evidence };
  }
  if (error.statusCode === 401 || AUTH_TEXT.test(text)) {
    return {
      reason: 'auth_error',
      detail: `${what}: ${error.message ?? 'not authorised'}`,
      evidence,
    };
  }
  if (CONTEXT_TEXT.test(text) || said === 'context_exhausted') {
    return { reason: 'context_exhausted', detail: `${what}: ${error.message ?? ''}`, evidence };
  }
  if (error.statusCode === 429 || RATE_LIMIT_TEXT.test(text) || said === 'rate_limit') {
    return withReset('rate_limit', `${what}: ${error.message ?? 'rate limited'}`);
  }
  if (
    (error.statusCode !== undefined && OVERLOADED_STATUS.has(error.statusCode)) ||
    OVERLOADED_TEXT.test(text) ||
    said === 'overloaded'
  ) {
    return withReset('overloaded', `${what}: ${error.message ?? 'provider unavailable'}`);
  }
  return {
    reason: 'unknown',
    detail: `${what}: ${error.message ?? 'unrecognised error'}`,
    evidence,
  };
}

/**
 * Structured fields first (the agent's own `resetsAt`, then response headers); the message text
 * only when they say nothing. Readers bound their own readings; `resetsAt` arrives as any number.
 */
function statedReset(
  error: AgentErrorEvidence,
  read: StopText,
  prose: string,
  now: number,
  zone: string,
): { resetAt: number; source: string; clampNote?: string | undefined } | undefined {
  if (error.resetAt !== undefined && !Number.isNaN(error.resetAt)) {
    return { resetAt: error.resetAt, source: 'resetsAt' };
  }
  const header = error.headers ? resetFromHeaders(error.headers, now) : undefined;
  if (header !== undefined) return header;
  // parseStopText has already read the reset of a text that states a limit.
  const fromText =
    read.kind === 'rate_limit' || read.kind === 'overloaded'
      ? read
      : readResetFromText(prose, now, zone);
  return fromText?.resetAt === undefined
    ? undefined
    : {
        resetAt: fromText.resetAt,
        source: `message:${fromText.source ?? 'text'}`,
        clampNote: fromText.clampNote,
      };
}

/** The words of an authentication or billing failure in `text`, if it has them. */
export function authFailureText(text: string): string | undefined {
  return AUTH_TEXT.exec(text)?.[0];
}

function systemZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
