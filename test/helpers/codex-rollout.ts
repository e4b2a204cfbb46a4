import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

// Reading what Codex 0.171.0 leaves behind: rollout lines are `{timestamp, ordinal, type,
// payload}` with `type` ∈ session_meta, event_msg, response_item, turn_context, world_state,
// token_usage_record, compacted… An `event_msg` payload has its own `type` (task_started,
// task_complete, token_count, item_completed, thread_settings_applied…).

export const rolloutLineSchema = z.looseObject({
  timestamp: z.string(),
  type: z.string(),
  payload: z.looseObject({ type: z.string().optional() }),
});

export type RolloutLine = z.infer<typeof rolloutLineSchema>;

/** The end of a turn; `error` only when it failed. */
export const taskCompleteSchema = z.looseObject({
  type: z.literal('task_complete'),
  turn_id: z.string(),
  last_agent_message: z.string().nullable(),
  error: z
    .looseObject({
      message: z.string(),
      /** A string (`usage_limit_exceeded`, …) or an object (`{response_too_many_failed_attempts}`). */
      codex_error_info: z.unknown(),
    })
    .optional(),
});

const windowSchema = z.looseObject({
  used_percent: z.number(),
  window_minutes: z.number().nullable().optional(),
  resets_at: z.number().nullable().optional(),
});

export const tokenCountSchema = z.looseObject({
  type: z.literal('token_count'),
  rate_limits: z
    .looseObject({ primary: windowSchema.nullable(), secondary: windowSchema.nullable() })
    .nullable(),
});

export function parseRollout(text: string): RolloutLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => rolloutLineSchema.parse(JSON.parse(line)));
}

export async function readRollout(path: string): Promise<RolloutLine[]> {
  return parseRollout(await readFile(path, 'utf8'));
}

/** The payloads of `event_msg` lines of one type, in order. */
export function eventMsgs(lines: readonly RolloutLine[], type: string): RolloutLine['payload'][] {
  return lines
    .filter((l) => l.type === 'event_msg' && l.payload.type === type)
    .map((l) => l.payload);
}

/** The last `event_msg` of the rollout: what the thread's latest turn ended with, if anything. */
export function lastEventMsg(lines: readonly RolloutLine[]): RolloutLine['payload'] | undefined {
  return lines.filter((l) => l.type === 'event_msg').at(-1)?.payload;
}

// ---- /proc, for what a live Codex process shows ----

/** Targets of /proc/<pid>/fd symlinks (files the process has open); empty when it is gone. */
export function openFiles(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  try {
    return readdirSync(dir).flatMap((fd) => {
      try {
        return [readlinkSync(`${dir}/${fd}`)];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** /proc/<pid>/cmdline as argv; empty when the process is gone. */
export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
  } catch {
    return [];
  }
}

/**
 * The pid holding an flock on `path` per /proc/locks (Codex holds `thread-writer-locks/<thread
 * id>.lock` exclusively while it writes the thread), or undefined when nobody does.
 */
export function flockHolder(path: string): number | undefined {
  let inode: number;
  try {
    inode = statSync(path).ino;
  } catch {
    return undefined;
  }
  // e.g. "13: FLOCK  ADVISORY  WRITE 24166 fe:00:2147296 0 EOF"; waiters are prefixed "->".
  for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
    const fields = line.replace('->', '').trim().split(/\s+/);
    if (fields[1] === 'FLOCK' && fields[5]?.endsWith(`:${inode}`)) return Number(fields[4]);
  }
  return undefined;
}
