import { createReadStream, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { delay, hasCode, readRange } from '../node-util.js';

/** Where the next read of a followed file starts; `ino` tells a rotated file from the old one. */
export interface FilePosition {
  readonly offset: number;
  readonly ino: number | undefined;
}

export interface LinesRead {
  readonly lines: readonly string[];
  /** Just past the last complete line: a half-written last line is read when it is finished. */
  readonly end: FilePosition;
}

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const POLL_MS = 250;
const EMPTY: LinesRead = { lines: [], end: { offset: 0, ino: undefined } };

/** The last `count` complete lines, read backwards from the end (the log may be large). */
export async function readLastLines(path: string, count: number): Promise<LinesRead> {
  const handle = await openIfExists(path);
  if (handle === undefined) return EMPTY;
  try {
    const info = await handle.stat();
    let start = info.size;
    let bytes = Buffer.alloc(0);
    let newlines = 0;
    // One newline more than lines wanted, so the first kept line is known to be whole.
    while (start > 0 && newlines <= count) {
      const from = Math.max(0, start - CHUNK_BYTES);
      const chunk = Buffer.alloc(start - from);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, from);
      for (let i = 0; i < bytesRead; i++) if (chunk[i] === NEWLINE) newlines++;
      bytes = Buffer.concat([chunk.subarray(0, bytesRead), bytes]);
      start = from;
    }
    const last = bytes.lastIndexOf(NEWLINE);
    const end = { offset: start + last + 1, ino: info.ino };
    if (last < 0 || count <= 0) return { lines: [], end };
    const lines = bytes.subarray(0, last).toString('utf8').split('\n');
    if (start > 0) lines.shift();
    return { lines: lines.slice(-count), end };
  } finally {
    await handle.close();
  }
}

/** Every complete line from the first for which `keep` holds (a log is in time order). */
export async function readLinesFrom(
  path: string,
  keep: (line: string) => boolean,
): Promise<LinesRead> {
  const info = await statIfExists(path);
  if (info === undefined || info.size === 0)
    return { lines: [], end: { offset: 0, ino: info?.ino } };
  const lines: string[] = [];
  let offset = 0;
  let rest = Buffer.alloc(0);
  let started = false;
  for await (const chunk of createReadStream(path, { start: 0, end: info.size - 1 })) {
    const bytes = Buffer.concat([rest, chunk as Buffer]);
    let from = 0;
    for (let nl = bytes.indexOf(NEWLINE); nl >= 0; nl = bytes.indexOf(NEWLINE, from)) {
      const line = bytes.subarray(from, nl).toString('utf8');
      started ||= keep(line);
      if (started) lines.push(line);
      from = nl + 1;
    }
    offset += from;
    rest = bytes.subarray(from);
  }
  return { lines, end: { offset, ino: info.ino } };
}

/**
 * Calls `onLines` with lines appended after `from` until `signal` aborts. Polls (fs.watch misses
 * events on some filesystems); a file that shrank or was replaced is read again from its start.
 */
export async function followLines(
  path: string,
  from: FilePosition,
  signal: AbortSignal,
  onLines: (lines: readonly string[], restarted: boolean) => void,
): Promise<void> {
  let position = from;
  while (!signal.aborted) {
    const info = await statIfExists(path);
    if (info !== undefined) {
      let restarted = false;
      if (
        (position.ino !== undefined && info.ino !== position.ino) ||
        info.size < position.offset
      ) {
        position = { offset: 0, ino: info.ino };
        restarted = true;
      }
      const bytes = await readRange(path, position.offset, info.size);
      const last = bytes.lastIndexOf(NEWLINE);
      if (last >= 0) {
        onLines(bytes.subarray(0, last).toString('utf8').split('\n'), restarted);
        position = { offset: position.offset + last + 1, ino: info.ino };
      } else {
        position = { offset: position.offset, ino: info.ino };
      }
    }
    await delay(POLL_MS, signal);
  }
}

async function statIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}
