import { z } from 'zod';
import { capText } from './cap-text.js';
import type { CodexItem } from './rollout-lines.js';

/**
 * What Codex injects into the conversation as user messages: context, instructions and markers
 * (`<turn_aborted>` after an interrupt), never what the user typed.
 */
const INJECTED =
  /^\s*(?:<environment_context>|<user_instructions>|<turn_aborted>|<user_shell_command>|<subagent_notification>|<skills?(?:_instructions)?>|# AGENTS\.md instructions for )/i;

export function isInjected(text: string): boolean {
  return INJECTED.test(text);
}

/** The text a user typed, from a `response_item` user message; undefined for injected ones. */
export function promptText(item: CodexItem): string | undefined {
  if (item.type !== 'message' || item.role !== 'user') return undefined;
  const meta = item.internal_chat_message_metadata_passthrough?.content_item_metadata;
  const typed = item.content.flatMap((part, i) => {
    // 0.171 says who wrote each part; older versions are judged by the text alone.
    const author = meta?.[i]?.provenance?.type;
    if (part.type !== 'input_text' || part.text === undefined) return [];
    if ((author !== undefined && author !== 'user') || isInjected(part.text)) return [];
    return [part.text];
  });
  const text = typed.join('\n').trim();
  return text === '' ? undefined : text;
}

/** The text of an assistant `response_item` message. */
export function replyText(item: CodexItem): string | undefined {
  if (item.type !== 'message' || item.role !== 'assistant') return undefined;
  const text = item.content
    .flatMap((part) => (part.type === 'output_text' && part.text !== undefined ? [part.text] : []))
    .join('\n')
    .trim();
  return text === '' ? undefined : text;
}

const MAX_TODOS = 50;
const MAX_TODO_CHARS = 512;
const planArguments = z.looseObject({
  plan: z.array(z.looseObject({ step: z.string(), status: z.string() })),
});

/** Codex's plan (`update_plan` tool call: `{plan: [{step, status}]}`) as todos, capped. */
export function planTodos(item: CodexItem): { content: string; status: string }[] | undefined {
  if (item.type !== 'function_call' || item.name !== 'update_plan') return undefined;
  let args: unknown;
  try {
    args = JSON.parse(item.arguments);
  } catch {
    // Arguments the model garbled: Codex rejected the call too, so the plan did not change.
    return undefined;
  }
  const parsed = planArguments.safeParse(args);
  if (!parsed.success) return undefined;
  return parsed.data.plan
    .slice(0, MAX_TODOS)
    .map((s) => ({ content: capText(s.step, MAX_TODO_CHARS), status: capText(s.status, 32) }));
}
