import { authFailureText, classify } from '../core/classify.js';
import { isCalendarInstant } from '../core/max-wait.js';
import type { StopReasonKind } from '../core/stop-reason.js';
import { parseStopText } from '../core/stop-text.js';
import type { RecordReader, RecordReading } from './definition.js';

/** What `palingenesis classify` prints. `none`: the input holds no stop. */
export interface ClassifyVerdict {
  readonly reason: StopReasonKind | 'none';
  readonly resetAt: string | null;
  readonly waitSeconds: number | null;
  readonly source: string;
  readonly evidence: string;
}

/**
 * Judges one input — plain text, one JSON object, or JSON lines (the last line that says
 * anything) — with exactly the code the daemon uses: each agent's own record reader turns a
 * record into the evidence its adapter would report, and `classify` judges it; anything else is
 * read by `parseStopText`. `readers`: the agents to try, in order (one, for `--agent <kind>`).
 */
export function classifyInput(
  input: string,
  now: number,
  zone: string,
  readers: readonly RecordReader[],
): ClassifyVerdict {
  const trimmed = input.trim();
  const single = parseJson(trimmed);
  if (single !== undefined) return judgeValue(single, trimmed, now, zone, readers) ?? none('json');
  const lines = trimmed
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const parsed = lines.map((l) => parseJson(l));
  if (lines.length > 1 && parsed.every((p) => p !== undefined)) {
    // A whole file of one agent's records is read as its adapter reads the file.
    for (const reader of readers) {
      const reading = reader.file?.(parsed) ?? { kind: 'irrelevant' };
      if (reading.kind === 'stop') return judgeStop(reading, now, zone);
      if (reading.kind === 'no_stop') return none(reading.source, reading.completed);
      if (reading.kind === 'noise') return none('jsonl');
    }
    // The last line about how a turn ended decides: a limit followed by a completed turn is no stop.
    for (let i = lines.length - 1; i >= 0; i--) {
      const verdict = judgeValue(parsed[i], lines[i] ?? '', now, zone, readers);
      if (verdict !== undefined) return verdict;
    }
    return none('jsonl');
  }
  return judgeText(trimmed, now, zone, 'text');
}

/**
 * A verdict, or undefined when the value says nothing about how a turn ended. `json` is the text
 * the value was parsed from: what the text patterns read, rather than a re-serialisation, which
 * recursed once per level and overflowed the stack on input nested a few thousand deep.
 */
function judgeValue(
  value: unknown,
  json: string,
  now: number,
  zone: string,
  readers: readonly RecordReader[],
): ClassifyVerdict | undefined {
  for (const reader of readers) {
    const reading = reader.line(value);
    if (reading.kind === 'irrelevant') continue;
    if (reading.kind === 'noise') return undefined;
    if (reading.kind === 'no_stop') return none(reading.source, reading.completed);
    return judgeStop(reading, now, zone);
  }
  const fromText = judgeText(json, now, zone, 'json');
  return fromText.reason === 'none' ? undefined : fromText;
}

/** The daemon's own path: the record's evidence, judged by `classify`. */
function judgeStop(
  stop: Extract<RecordReading, { kind: 'stop' }>,
  now: number,
  zone: string,
): ClassifyVerdict {
  const judged = classify(stop.evidence, now, zone);
  return verdict(
    judged.reason,
    judged.resetAt,
    now,
    judged.resetSource === undefined ? stop.source : `${stop.source}:${judged.resetSource}`,
    stop.text === undefined ? judged.detail : withNote(stop.text, judged.clampNote),
  );
}

function judgeText(text: string, now: number, zone: string, format: string): ClassifyVerdict {
  const read = parseStopText(text, now, zone);
  // Billing words win over the limit they may come with ("Quota exceeded. Check your plan…").
  const auth = authFailureText(text);
  if (auth !== undefined) return verdict('auth_error', undefined, now, format, auth);
  if (read.kind === 'none' || read.kind === 'warning') {
    return none(read.kind === 'warning' ? `${format}:warning` : format);
  }
  return verdict(
    read.kind,
    read.resetAt,
    now,
    read.source === undefined ? format : `${format}:${read.source}`,
    withNote(read.evidence ?? '', read.clampNote),
  );
}

/** The evidence, and that its reset was clamped when it was (the detail of a stop says so). */
function withNote(evidence: string, clampNote: string | undefined): string {
  return clampNote === undefined ? evidence : `${evidence}; ${clampNote}`;
}

function verdict(
  reason: ClassifyVerdict['reason'],
  resetAt: number | undefined,
  now: number,
  source: string,
  evidence: string,
): ClassifyVerdict {
  // The core bounds every reset; one that is still no instant is reported as none, never thrown.
  const at = resetAt !== undefined && isCalendarInstant(resetAt) ? resetAt : undefined;
  return {
    reason,
    resetAt: at === undefined ? null : new Date(at).toISOString(),
    waitSeconds: at === undefined ? null : Math.max(0, Math.round((at - now) / 1000)),
    source,
    evidence,
  };
}

function none(source: string, completed = false): ClassifyVerdict {
  return {
    reason: completed ? 'completed' : 'none',
    resetAt: null,
    waitSeconds: null,
    source,
    evidence: '',
  };
}

function parseJson(text: string): unknown {
  if (!text.startsWith('{') && !text.startsWith('[')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
