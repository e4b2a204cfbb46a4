import { stat } from 'node:fs/promises';
import { hasCode, readRange } from '../node-util.js';

export interface TailRead {
  /** Complete lines appended since the last read, parsed. */
  readonly values: readonly unknown[];
  /** Complete lines that were not JSON: counted and skipped, never fatal. */
  readonly malformed: number;
  /** The file was truncated or replaced since the last read, and was read again from its start. */
  readonly restarted: boolean;
}

export interface JsonlTail {
  read(): Promise<TailRead>;
}

const NEWLINE = 0x0a;

/**
 * Follows an append-only JSON-lines file (a Claude Code transcript): each read returns only the new
 * complete lines. The offset only ever moves past a newline byte, so a half-written last line (or a
 * multi-byte character split by the writer; UTF-8 never has 0x0A inside one) is read again whole
 * next time. A file that shrank (truncated) or whose inode changed (rotated, rewritten) is read
 * from its start (a truncated file that grows back past the old offset between two reads is not
 * noticed: Claude Code only appends, so reads are frequent enough in practice). `fromEnd` skips
 * what a file already holds when watching begins.
 */
export function createJsonlTail(path: string, options: { fromEnd?: boolean } = {}): JsonlTail {
  let offset: number | undefined;
  let inode: number | undefined;
  return {
    async read() {
      const info = await stat(path).catch((error: unknown) => {
        if (hasCode(error, 'ENOENT')) return undefined;
        throw error;
      });
      if (info === undefined) return { values: [], malformed: 0, restarted: false };
      let restarted = false;
      if (offset === undefined) {
        offset = options.fromEnd === true ? info.size : 0;
      } else if (info.ino !== inode || info.size < offset) {
        offset = 0;
        restarted = true;
      }
      inode = info.ino;
      const bytes = await readRange(path, offset, info.size);
      const end = bytes.lastIndexOf(NEWLINE);
      if (end < 0) return { values: [], malformed: 0, restarted };
      offset += end + 1;
      let malformed = 0;
      const values: unknown[] = [];
      for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          values.push(JSON.parse(line));
        } catch {
          malformed++;
        }
      }
      return { values, malformed, restarted };
    },
  };
}
