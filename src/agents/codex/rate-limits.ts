import type { RateWindowLine } from './rollout-lines.js';

/** One window of Codex's plan limits (`x-codex-primary-*` / `x-codex-secondary-*` headers). */
export interface RateWindow {
  readonly usedPercent: number;
  readonly windowMinutes?: number | undefined;
  /** Epoch ms. */
  readonly resetAt?: number | undefined;
}

/** The newest `token_count.rate_limits` of a thread. */
export interface RateLimits {
  readonly primary?: RateWindow | undefined;
  readonly secondary?: RateWindow | undefined;
  readonly planType?: string | undefined;
  /** The turn it was recorded in: a snapshot of an earlier turn says nothing about this one. */
  readonly turnId?: string | undefined;
}

interface RateLimitsLine {
  readonly primary?: RateWindowLine | null | undefined;
  readonly secondary?: RateWindowLine | null | undefined;
  readonly plan_type?: string | null | undefined;
}

/** `at` (epoch ms of the line) anchors `resets_in_seconds`, which older Codex wrote. */
export function readRateLimits(
  line: RateLimitsLine,
  turnId: string | undefined,
  at: number | undefined,
): RateLimits {
  const window = (w: RateWindowLine | null | undefined): RateWindow | undefined => {
    if (w == null) return undefined;
    const relative =
      w.resets_in_seconds == null || at === undefined ? undefined : at + w.resets_in_seconds * 1000;
    const resetAt = w.resets_at == null ? relative : w.resets_at * 1000;
    return { usedPercent: w.used_percent, windowMinutes: w.window_minutes ?? undefined, resetAt };
  };
  return {
    primary: window(line.primary),
    secondary: window(line.secondary),
    planType: line.plan_type ?? undefined,
    turnId,
  };
}

/**
 * When the exhausted windows (used ≥ 100 %) reset: the later one when both are, since resuming
 * before both have reset only meets the limit again. Undefined when none is exhausted.
 */
export function exhaustedResetAt(limits: RateLimits): number | undefined {
  const resets = [limits.primary, limits.secondary].flatMap((w) =>
    w !== undefined && w.usedPercent >= 100 && w.resetAt !== undefined && Number.isFinite(w.resetAt)
      ? [w.resetAt]
      : [],
  );
  return resets.length === 0 ? undefined : Math.max(...resets);
}
