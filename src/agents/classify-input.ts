import { classify } from '../core/classify.js';
import { isCalendarInstant } from '../core/max-wait.js';
import type { StopReasonKind } from '../core/stop-reason.js';
import { parseStopText } from '../core/stop-text.js';
import { claudeEvidence } from './claude-code/evidence.js';
import { readClaudeLine, type ClaudeStop } from './claude-code/lines.js';
import { errorEvidence } from './opencode/evidence.js';
import { errorSchema, type OpencodeError } from './opencode/frames.js';

/** What `palingenesis classify` prints. `none`: the input holds no stop. */
export interface ClassifyVerdict {
  readonly reason: StopReasonKind | 'none';
  readonly resetAt: string | null;
  readonly waitSeconds: number | null;
  readonly source: string;
  readonly evidence: string;
}

/** Wording of an authentication failure; a bare "401" in prose is not one. */
const AUTH =
  /\b(?:authentication_failed|invalid[ _]api[ _]key|ProviderAuthError|OAuth token has expired)\b/i;

/**
 * Judges one input — plain text, one JSON object, or JSON lines (the last line that says
 * anything) — with exactly the code the daemon uses: `classify` for agent error objects,
 * `parseStopText` for everything else.
 */
export type ClassifyAgent = 'auto' | 'claude-code' | 'opencode' | 'codex' | 'gemini';

export function classifyInput(
  input: string,
  now: number,
  zone: string,
  agent: ClassifyAgent = 'auto',
): ClassifyVerdict {
  const trimmed = input.trim();
  const single = parseJson(trimmed);
  if (single !== undefined) return judgeValue(single, trimmed, now, zone, agent) ?? none('json');
  const lines = trimmed
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const parsed = lines.map((l) => parseJson(l));
  if (lines.length > 1 && parsed.every((p) => p !== undefined)) {
    // The last line about how a turn ended decides: a limit followed by a completed turn is no stop.
    for (let i = lines.length - 1; i >= 0; i--) {
      const verdict = judgeValue(parsed[i], lines[i] ?? '', now, zone, agent);
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
  agent: ClassifyAgent,
): ClassifyVerdict | undefined {
  // A named agent's records are read with its own reader only; codex and gemini have none yet,
  // so their output is judged as text.
  const claude: ClaudeStop =
    agent === 'auto' || agent === 'claude-code' ? readClaudeLine(value) : { kind: 'irrelevant' };
  if (claude.kind === 'noise') return undefined;
  if (claude.kind === 'no_stop') return none(`claude:${claude.source}`, claude.completed);
  if (claude.kind === 'stop') return judgeClaude(claude, now, zone);
  const error = agent === 'auto' || agent === 'opencode' ? findAgentError(value) : undefined;
  if (error !== undefined) {
    const evidence = errorEvidence(error);
    const stop = classify(
      { agent: 'opencode', lastAssistant: { completed: true, error: evidence } },
      now,
      zone,
    );
    const auth =
      evidence.statusCode === 401 || AUTH.test(`${error.name} ${evidence.message ?? ''}`);
    const reason = stop.reason === 'unknown' && auth ? 'auth_error' : stop.reason;
    return verdict(reason, stop.resetAt, now, stop.resetSource ?? 'agent-error', stop.detail);
  }
  const fromText = judgeText(json, now, zone, 'json');
  return fromText.reason === 'none' ? undefined : fromText;
}

/** The daemon's own path: the line becomes stop evidence, and `classify` judges it. */
function judgeClaude(
  stop: Extract<ClaudeStop, { kind: 'stop' }>,
  now: number,
  zone: string,
): ClassifyVerdict {
  const judged = classify(claudeEvidence(stop), now, zone);
  const source = `claude:${stop.source}`;
  return verdict(
    judged.reason,
    judged.resetAt,
    now,
    judged.resetSource === undefined ? source : `${source}:${judged.resetSource}`,
    stop.text.trim() === '' ? judged.detail : withNote(stop.text.trim(), judged.clampNote),
  );
}

function judgeText(text: string, now: number, zone: string, format: string): ClassifyVerdict {
  const read = parseStopText(text, now, zone);
  if (read.kind === 'none' || read.kind === 'warning') {
    if (AUTH.test(text))
      return verdict('auth_error', undefined, now, format, firstMatch(text, AUTH));
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

/** The first agent error object anywhere in the value (events wrap it in payload.properties). */
function findAgentError(value: unknown, depth = 0): OpencodeError | undefined {
  if (depth > 6 || typeof value !== 'object' || value === null) return undefined;
  // Only objects shaped like an agent error (`{name: '…Error', data}`), not any `name` field.
  const direct = errorSchema.safeParse(value);
  if (direct.success && direct.data.name.endsWith('Error')) return direct.data;
  for (const child of Object.values(value)) {
    const found = findAgentError(child, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function parseJson(text: string): unknown {
  if (!text.startsWith('{') && !text.startsWith('[')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function firstMatch(text: string, re: RegExp): string {
  return re.exec(text)?.[0] ?? '';
}
