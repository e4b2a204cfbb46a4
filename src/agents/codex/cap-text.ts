/** Stored texts are capped: a thread's history is never kept, only its newest facts. */
export const MAX_TEXT_CHARS = 4096;

/** `text` cut to `max` characters (an ellipsis marks the cut), never inside a surrogate pair. */
export function capText(text: string, max = MAX_TEXT_CHARS): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
