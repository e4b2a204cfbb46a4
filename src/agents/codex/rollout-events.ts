import { z } from 'zod';

/**
 * The `event_msg` payloads of a rollout that palingenesis reads (Codex 0.171; the protocol's
 * `EventMsg`, snake_case). Fields other than `type` are lenient: a field of a shape this reader
 * does not know reads as absent, so a vendor change does not hide the end of a turn.
 */

/** `codex_error_info`, normalised from a bare name or a name with details. */
export interface CodexErrorInfo {
  /** `usage_limit_exceeded`, `context_window_exceeded`, `response_too_many_failed_attempts`, … */
  readonly code: string;
  readonly httpStatus?: number | undefined;
  /** `model_cap` says how long until the model may be used again. */
  readonly resetAfterSeconds?: number | undefined;
}

const number = z.number().nullable().optional().catch(undefined);
const details = z.looseObject({
  http_status_code: number,
  // The app-server protocol spells it in camelCase; accepted in case a rollout ever does.
  httpStatusCode: number,
  reset_after_seconds: number,
});

function errorInfo(raw: string | Record<string, unknown>): CodexErrorInfo | undefined {
  if (typeof raw === 'string') return { code: raw };
  const first = Object.entries(raw)[0];
  if (first === undefined) return undefined;
  const [code, value] = first;
  const d = details.safeParse(value);
  if (!d.success) return { code };
  const httpStatus = d.data.http_status_code ?? d.data.httpStatusCode ?? undefined;
  return { code, httpStatus, resetAfterSeconds: d.data.reset_after_seconds ?? undefined };
}

const codexErrorInfo = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .transform(errorInfo)
  .nullable()
  .optional()
  .catch(undefined);

const turnError = z.looseObject({ message: z.string(), codex_error_info: codexErrorInfo });
const text = z.string().nullable().optional().catch(undefined);
const turnId = z.string().nullable().optional().catch(undefined);

const rateWindow = z.looseObject({
  used_percent: z.number(),
  window_minutes: number,
  /** Epoch seconds. */
  resets_at: number,
  /** What Codex before `resets_at` wrote instead: relative to the line's timestamp. */
  resets_in_seconds: number,
});
export type RateWindowLine = z.infer<typeof rateWindow>;
const window = rateWindow.nullable().optional().catch(undefined);

const part = z.looseObject({ type: z.string(), text: z.string().optional() });

const events = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('task_started'), turn_id: turnId }),
  z.looseObject({
    type: z.literal('task_complete'),
    turn_id: turnId,
    last_agent_message: text,
    // An error of an unknown shape still ends the turn as failed.
    error: turnError
      .nullable()
      .optional()
      .catch(() => ({ message: 'Codex recorded an error this reader cannot read' })),
  }),
  /** Ctrl-C / Esc: `reason` is `interrupted` (or `replaced`, `review_ended`, `budget_limited`). */
  z.looseObject({
    type: z.literal('turn_aborted'),
    turn_id: turnId,
    reason: z.string().catch('unknown'),
  }),
  z.looseObject({
    type: z.literal('token_count'),
    info: z.looseObject({ model_context_window: number }).nullable().optional().catch(undefined),
    rate_limits: z
      .looseObject({ primary: window, secondary: window, plan_type: text })
      .nullable()
      .optional()
      .catch(undefined),
  }),
  /** `kind` (older Codex): `plain` for what the user typed; injected context otherwise. */
  z.looseObject({ type: z.literal('user_message'), message: z.string(), kind: text }),
  z.looseObject({ type: z.literal('agent_message'), message: z.string() }),
  /** 0.171 records each prompt and reply as `UserMessage` / `AgentMessage` items here. */
  z.looseObject({
    type: z.literal('item_completed'),
    turn_id: turnId,
    item: z.looseObject({
      type: z.string(),
      content: z.array(part).optional().catch(undefined),
    }),
  }),
  /** Only with extended persistence; a turn's own failure is on its `task_complete`. */
  z.looseObject({
    type: z.literal('error'),
    message: z.string(),
    codex_error_info: codexErrorInfo,
  }),
  /** "Reconnecting... 2/5": never written to the rollout by 0.171 (see thread.ts). */
  z.looseObject({ type: z.literal('stream_error'), message: z.string() }),
]);
export type CodexEvent = z.infer<typeof events>;

/** Newer protocol names of the same events. */
const ALIASES: Readonly<Record<string, CodexEvent['type']>> = {
  turn_started: 'task_started',
  turn_complete: 'task_complete',
};
const TYPES: ReadonlySet<string> = new Set<string>([
  ...events.options.map((o) => o.shape.type.value),
  ...Object.keys(ALIASES),
]);

export function isEventType(type: string): boolean {
  return TYPES.has(type);
}

/** `payload` with an alias renamed, for `eventSchema`. */
export const eventSchema = z.preprocess((payload) => {
  const typed = z.looseObject({ type: z.string() }).safeParse(payload);
  const alias = typed.success ? ALIASES[typed.data.type] : undefined;
  return alias === undefined || !typed.success ? payload : { ...typed.data, type: alias };
}, events);
