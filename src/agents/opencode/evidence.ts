import type { AgentErrorEvidence, StopEvidence, StopReasonKind } from '../../core/stop-reason.js';
import type { HandoffContext } from '../adapter.js';
import type { OpencodeError, OpencodeMessage } from './frames.js';

/** What classify() needs from a session's messages: the last assistant message, normalised. */
export function stopEvidence(
  messages: readonly OpencodeMessage[],
  agentRestarted: boolean,
): { evidence: StopEvidence; recordedAt?: number | undefined } {
  const last = messages.filter((m) => m.info.role === 'assistant').at(-1);
  if (last === undefined) return { evidence: { agent: 'opencode', agentRestarted } };
  const { info } = last;
  return {
    evidence: {
      agent: 'opencode',
      agentRestarted,
      lastAssistant: {
        completed: info.time.completed !== undefined,
        finish: info.finish,
        error: info.error === undefined ? undefined : errorEvidence(info.error),
      },
    },
    recordedAt: info.time.completed,
  };
}

/**
 * opencode's own error names, judged here (the core knows no agent's names): an abort is the
 * user's, an overflow is the context, a provider auth error needs a person.
 */
const OPENCODE_VERDICTS: Readonly<Record<string, StopReasonKind>> = {
  MessageAbortedError: 'user_exit',
  ContextOverflowError: 'context_exhausted',
  ProviderAuthError: 'auth_error',
};

export function errorEvidence(error: OpencodeError): AgentErrorEvidence {
  const data = error.data;
  return {
    name: error.name,
    kind: Object.hasOwn(OPENCODE_VERDICTS, error.name) ? OPENCODE_VERDICTS[error.name] : undefined,
    message: data?.message,
    statusCode: data?.statusCode,
    isRetryable: data?.isRetryable,
    headers:
      data?.responseHeaders === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(data.responseHeaders).map(([k, v]) => [k.toLowerCase(), v]),
          ),
    body: data?.responseBody,
  };
}

/** The last assistant message never finished: no completion time, no finish, no error. */
export function endsUnfinished(messages: readonly OpencodeMessage[]): boolean {
  const last = messages.at(-1);
  if (last === undefined) return false;
  if (last.info.role === 'user') return true;
  const { info } = last;
  return info.time.completed === undefined && info.finish === undefined && info.error === undefined;
}

/** The handoff for a fresh session: the original task, the todo list, the last words. */
export function handoffFromMessages(
  messages: readonly OpencodeMessage[],
  todos: HandoffContext['todos'],
): HandoffContext {
  const text = (m: OpencodeMessage | undefined): string | undefined => {
    const joined = m?.parts
      .filter((p) => p.type === 'text' && typeof p.text === 'string')
      .map((p) => p.text)
      .join('\n')
      .trim();
    return joined === '' ? undefined : joined;
  };
  const firstUser = messages.find((m) => m.info.role === 'user');
  const lastAssistant = messages
    .filter((m) => m.info.role === 'assistant' && text(m) !== undefined)
    .at(-1);
  return { task: text(firstUser), todos, lastAssistantText: text(lastAssistant) };
}
