import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiError, ProviderAuthError } from '@opencode-ai/sdk/v2';
import type { Observation } from '../../src/agents/adapter.js';
import { createReporter } from '../../src/agents/claude-code/reporter.js';
import { createTranscriptTracker } from '../../src/agents/claude-code/transcript-tracker.js';
import { codexEvidence } from '../../src/agents/codex/evidence.js';
import { readRolloutLine } from '../../src/agents/codex/rollout-lines.js';
import { foldRollout, newThreadState } from '../../src/agents/codex/thread.js';
import { endsUnfinished, stopEvidence } from '../../src/agents/opencode/evidence.js';
import {
  parseFrame,
  parseMessages,
  type OpencodeMessageInput,
} from '../../src/agents/opencode/frames.js';
import { classify } from '../../src/core/classify.js';
import type { StopReason } from '../../src/core/stop-reason.js';

// Recorded records of each agent, as two inputs: the text a user hands `palingenesis classify`,
// and the daemon's own path over the same records (each adapter's fold and evidence, then
// `classify`), for src/agents/parity.test.ts.

export const FIXTURES = new URL('../fixtures/', import.meta.url);

/** When and where both sides judge: `now` (epoch ms) and the zone of wall-clock resets. */
export interface JudgeAt {
  readonly now: number;
  readonly zone: string;
  /** A temp dir, for the agents whose daemon path reads a file. */
  readonly scratch: string;
}

export interface ParityCase {
  readonly agent: string;
  readonly name: string;
  /** The records, as text for `palingenesis classify`. */
  readonly inputs: readonly { readonly what: string; readonly text: string }[];
  /** What the daemon reports from them: its judged stop, or undefined when it reports none. */
  readonly daemon: (at: JudgeAt) => Promise<StopReason | undefined>;
}

const jsonl = (values: readonly unknown[]): string =>
  values.map((v) => JSON.stringify(v)).join('\n');

// ---- opencode: `GET /session/{id}/message` at idle, judged as resync.ts `judge` does ----

interface OpencodeFixture {
  readonly sessionID: string;
  readonly phases: readonly {
    readonly name: string;
    readonly events: readonly unknown[];
    readonly messages?: readonly OpencodeMessageInput[];
  }[];
}

function opencodeFixture(file: string): OpencodeFixture {
  return JSON.parse(readFileSync(new URL(`opencode/${file}`, FIXTURES), 'utf8')) as OpencodeFixture;
}

/** The messages whole, the last assistant message, and (when it failed) the session's error event. */
function opencodeCase(
  name: string,
  sessionID: string,
  messages: readonly OpencodeMessageInput[],
  events: readonly unknown[],
): ParityCase {
  const history = parseMessages(messages);
  const last = history.findLastIndex((m) => m.info.role === 'assistant');
  const errorEvent = events.findLast((e) => {
    const frame = parseFrame(e);
    return (
      frame.kind === 'event' &&
      frame.payload.type === 'session.error' &&
      frame.payload.properties.sessionID === sessionID
    );
  });
  const inputs = [{ what: 'the session’s messages', text: JSON.stringify(messages) }];
  if (last >= 0) {
    inputs.push({ what: 'its last assistant message', text: JSON.stringify(messages[last]) });
  }
  if (history[last]?.info.error !== undefined && errorEvent !== undefined) {
    inputs.push({ what: 'its session.error event', text: JSON.stringify(errorEvent) });
  }
  return {
    agent: 'opencode',
    name,
    inputs,
    // Without a restart, an unfinished last message is re-read until it settles, never judged.
    daemon: ({ now, zone }) =>
      Promise.resolve(
        endsUnfinished(history)
          ? undefined
          : classify(stopEvidence(history, false).evidence, now, zone),
      ),
  };
}

/** Each phase of a recorded session that has its messages. */
export function opencodeCases(file: string): ParityCase[] {
  const f = opencodeFixture(file);
  return f.phases.flatMap((phase) =>
    phase.messages === undefined
      ? []
      : [opencodeCase(`${file} (${phase.name})`, f.sessionID, phase.messages, phase.events)],
  );
}

/** The recorded rate-limited session, its turn failing with `error` instead (message and event). */
export function opencodeFailing(name: string, error: ProviderAuthError | ApiError): ParityCase {
  const f = opencodeFixture('rate-limit.json');
  const messages = (f.phases[0]?.messages ?? []).map((m) =>
    m.info.role === 'assistant' ? { ...m, info: { ...m.info, error } } : m,
  );
  const event = {
    directory: '/tmp/PROJECT',
    payload: { type: 'session.error', properties: { sessionID: f.sessionID, error } },
  };
  return opencodeCase(name, f.sessionID, messages, [event]);
}

/** A session whose first turn hit the recorded rate limit, then a second turn that completed. */
export function opencodeContinued(name: string): ParityCase {
  const limited = opencodeFixture('rate-limit.json');
  const normal = opencodeFixture('normal-turn.json').phases[0]?.messages ?? [];
  const messages = [...(limited.phases[0]?.messages ?? []), ...normal];
  return opencodeCase(name, limited.sessionID, messages, []);
}

// ---- Claude Code: the transcript file, followed by the tracker and told by the reporter ----

async function claudeDaemon(at: JudgeAt, name: string, text: string) {
  const path = join(at.scratch, `${name}.jsonl`);
  await writeFile(path, `${text}\n`);
  const tracker = createTranscriptTracker({
    projectsDir: at.scratch,
    maxTrackedFiles: 1,
    now: () => at.now,
  });
  const seen: Observation[] = [];
  const reporter = createReporter({
    read: (entry) => tracker.read(entry),
    emit: (o) => seen.push(o),
    now: () => at.now,
    // No live session file: nothing is held back for Claude Code's own continuing.
    live: new Map(),
    onInfo: () => undefined,
    maxRemembered: 8,
  });
  await reporter.observe(tracker.probe(path), false);
  const stopped = seen.find((o) => o.kind === 'stopped');
  return stopped === undefined ? undefined : classify(stopped.evidence, at.now, at.zone);
}

/** The transcript, and each state it passed through while Claude Code said it would continue. */
export function claudeCases(file: string): ParityCase[] {
  const f = JSON.parse(readFileSync(new URL(`claude-code/${file}`, FIXTURES), 'utf8')) as {
    readonly transcript?: readonly unknown[];
  };
  const lines = f.transcript ?? [];
  const notices = lines.flatMap((l, i) =>
    JSON.stringify(l).includes('continue automatically') ? [i + 1] : [],
  );
  return [lines.length, ...notices].map((end, n) => {
    const text = jsonl(lines.slice(0, end));
    return {
      agent: 'claude-code',
      name: n === 0 ? file : `${file} up to its "continue automatically" notice`,
      inputs: [{ what: 'the transcript', text }],
      daemon: (at: JudgeAt) => claudeDaemon(at, `${file}-${String(n)}`, text),
    };
  });
}

// ---- Codex: the rollout, folded as rollout-files.ts folds it, reported as adapter.ts does ----

/** `path` under the fixtures, e.g. `codex/quota.jsonl`. */
export function codexCases(path: string): ParityCase[] {
  const text = readFileSync(new URL(path, FIXTURES), 'utf8');
  const daemon = ({ now, zone }: JudgeAt): Promise<StopReason | undefined> => {
    const state = newThreadState();
    for (const l of text.split('\n').filter((l) => l.trim() !== '')) {
      const line = readRolloutLine(l);
      if (line.kind === 'record') foldRollout(state, line.record);
    }
    // A running turn (or a killed one, until a dead process says so) is reported busy.
    if (state.phase === 'busy' || state.phase === 'empty') return Promise.resolve(undefined);
    return Promise.resolve(classify(codexEvidence(state), now, zone));
  };
  return [{ agent: 'codex', name: path, inputs: [{ what: 'the rollout', text }], daemon }];
}
