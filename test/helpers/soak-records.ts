import { z } from 'zod';
import type { MessageWithParts } from './opencode-client.js';

// A session's prompts and how each turn ended, read from the agent's own record (opencode's
// messages, Claude Code's transcript): what the session really received, whatever the daemon
// believed. The soak judges its resumes from these.

export type PromptKind = 'task' | 'continue' | 'interrupted' | 'other';

/** One prompt and the turn it started. */
export interface Turn {
  readonly kind: PromptKind;
  /** `ok`: answered; `failed`: ended in an API error; `open`: no answer (running, or cut off). */
  readonly outcome: 'ok' | 'failed' | 'open';
  /** The prompt's message id in the agent's record. */
  readonly id: string;
  /** When the agent recorded the prompt (epoch ms; 0 when it did not say). */
  readonly at: number;
}

export function promptKind(text: string): PromptKind {
  if (text.includes('SOAK-TASK ')) return 'task';
  if (text.includes('SOAK-CONTINUE')) return 'continue';
  if (text.includes('SOAK-INTERRUPTED')) return 'interrupted';
  return 'other';
}

/** opencode: every user message, and its turn from the assistant messages that answer it. */
export function opencodeTurns(messages: readonly MessageWithParts[]): Turn[] {
  return messages.flatMap(({ info, parts }) => {
    if (info.role !== 'user') return [];
    const text = parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
    const answer = messages
      .filter((m) => m.info.role === 'assistant' && m.info.parentID === info.id)
      .at(-1)?.info;
    let outcome: Turn['outcome'] = 'open';
    if (answer?.role === 'assistant') {
      if (answer.error !== undefined) outcome = 'failed';
      else if (answer.time.completed !== undefined) outcome = 'ok';
    }
    return [{ kind: promptKind(text), outcome, id: info.id, at: info.time.created }];
  });
}

const transcriptLine = z.looseObject({
  type: z.string().optional(),
  uuid: z.string().optional(),
  timestamp: z.string().optional(),
  isMeta: z.boolean().optional(),
  isApiErrorMessage: z.boolean().optional(),
  message: z
    .looseObject({
      role: z.string().optional(),
      model: z.string().optional(),
      content: z.unknown(),
    })
    .optional(),
});

/**
 * Claude Code 2.1.332: a prompt is a `user` line whose content is the prompt text (tool results
 * are arrays, meta lines are marked); its turn ends with the last `assistant` line before the
 * next prompt, synthetic (`model: "<synthetic>"`) when the API failed for good.
 */
export function claudeTurns(lines: readonly unknown[]): Turn[] {
  const turns: { kind: PromptKind; outcome: Turn['outcome']; id: string; at: number }[] = [];
  for (const raw of lines) {
    const line = transcriptLine.safeParse(raw).data;
    if (line === undefined) continue;
    const content = line.message?.content;
    if (line.type === 'user' && line.isMeta !== true && typeof content === 'string') {
      const at = Date.parse(line.timestamp ?? '');
      turns.push({
        kind: promptKind(content),
        outcome: 'open',
        id: line.uuid ?? '',
        at: Number.isNaN(at) ? 0 : at,
      });
      continue;
    }
    const turn = turns.at(-1);
    if (line.type !== 'assistant' || turn === undefined) continue;
    const synthetic = line.isApiErrorMessage === true || line.message?.model === '<synthetic>';
    turn.outcome = synthetic ? 'failed' : 'ok';
  }
  return turns;
}

export interface SessionVerdict {
  /** Turns that ended without an answer the session could go on from. */
  readonly stops: number;
  /** Resume prompts (continue, interrupted) the session received. */
  readonly resumes: number;
  /** Indexes of resume prompts that followed no stop: a second nudge for one stop. */
  readonly duplicates: readonly number[];
  /** Its last turn is a stop nobody answered. */
  readonly unresumed: boolean;
}

/**
 * A resume prompt is justified only right after a stop: a turn that failed, or (`cutIsStop`,
 * for agents whose process can die mid-turn) one left without an answer. Anything else is a
 * duplicate, including a second prompt queued while the first was still being answered.
 */
export function judgeTurns(turns: readonly Turn[], cutIsStop: boolean): SessionVerdict {
  const isStop = (t: Turn | undefined): boolean =>
    t !== undefined && (t.outcome === 'failed' || (cutIsStop && t.outcome === 'open'));
  const duplicates: number[] = [];
  let resumes = 0;
  turns.forEach((turn, i) => {
    if (turn.kind !== 'continue' && turn.kind !== 'interrupted') return;
    resumes++;
    if (!isStop(turns[i - 1])) duplicates.push(i);
  });
  const last = turns.at(-1);
  return {
    stops: turns.filter(isStop).length,
    resumes,
    duplicates,
    unresumed: last !== undefined && last.outcome !== 'ok',
  };
}
