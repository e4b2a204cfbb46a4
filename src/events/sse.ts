import type { DaemonEvent } from '../core/events.js';

/** `JSON.stringify` escapes newlines, so the data is always one `data:` line. */
export function sseFrame(id: number, event: DaemonEvent): string {
  return `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}
