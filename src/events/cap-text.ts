import type { DaemonEvent } from '../core/events.js';

/** `limits.max_event_text_bytes`. */
export const DEFAULT_MAX_EVENT_TEXT_BYTES = 4096;

/** Evidence is data from JSON; anything nested deeper than this is left as it is. */
const MAX_DEPTH = 64;

/**
 * `event` with every string in it, however deep in its evidence, at most `maxBytes` of UTF-8: a
 * longer one keeps its start and ends with a marker saying how long it was. A hook can post
 * 60 KB of stop text, and the event carrying it is kept by the audit log, the stream's buffer and
 * every notification. Strings stay strings, so the event still matches its schema. When nothing is
 * long the very same object comes back: one walk, no copy.
 */
export function capEventText<T extends DaemonEvent>(event: T, maxBytes: number): T {
  return capValue(event, maxBytes, 0) as T;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes, marker included, never inside a character. */
export function capText(text: string, maxBytes: number): string {
  // A UTF-16 unit is at most 3 bytes of UTF-8: most strings are judged without being measured.
  if (text.length * 3 <= maxBytes) return text;
  const totalBytes = Buffer.byteLength(text, 'utf8');
  if (totalBytes <= maxBytes) return text;
  const marker = `… [cut: ${totalBytes} bytes in all]`;
  const budget = Math.max(0, maxBytes - Buffer.byteLength(marker, 'utf8'));
  return utf8Prefix(text, budget) + marker;
}

/** The longest start of `text` that is at most `maxBytes` of UTF-8. */
export function utf8Prefix(text: string, maxBytes: number): string {
  // Every unit is at least one byte, so the answer lies within the first `maxBytes` units.
  let head = text.slice(0, maxBytes);
  const last = head.charCodeAt(head.length - 1);
  // Half a surrogate pair would be encoded as U+FFFD: leave the whole pair out.
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  const bytes = Buffer.from(head, 'utf8');
  if (bytes.length <= maxBytes) return head;
  let end = maxBytes;
  // bytes[end] is the first byte left out: while it continues a character, leave that one out.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}

function capValue(value: unknown, maxBytes: number, depth: number): unknown {
  if (typeof value === 'string') return capText(value, maxBytes);
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    let copy: unknown[] | undefined;
    items.forEach((item, index) => {
      const capped = capValue(item, maxBytes, depth + 1);
      if (capped === item) return;
      copy ??= [...items];
      copy[index] = capped;
    });
    return copy ?? items;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const capped = capValue(item, maxBytes, depth + 1);
    if (capped === item) continue;
    copy ??= { ...value };
    copy[key] = capped;
  }
  return copy ?? value;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
