import { DateTime } from 'luxon';

/**
 * Shared human formatting for the CLI: durations like `3h12m`, instants in the local zone.
 * `zone` is an IANA name; the default is the system's (`TZ`), as luxon sees it.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The two largest units, rounded down: `45s`, `12m30s`, `3h12m`, `3h`, `2d4h`. Sign ignored. */
export function formatDuration(ms: number): string {
  const total = Math.floor(Math.abs(ms) / SECOND) * SECOND;
  const units: [number, string][] = [
    [DAY, 'd'],
    [HOUR, 'h'],
    [MINUTE, 'm'],
    [SECOND, 's'],
  ];
  const first = units.findIndex(([size]) => total >= size);
  if (first < 0) return '0s';
  const [bigSize, bigUnit] = units[first] ?? [SECOND, 's'];
  const big = Math.floor(total / bigSize);
  const next = units[first + 1];
  const small = next === undefined ? 0 : Math.floor((total % bigSize) / next[0]);
  return next === undefined || small === 0
    ? `${big}${bigUnit}`
    : `${big}${bigUnit}${small}${next[1]}`;
}

export function localZone(): string {
  return DateTime.local().zoneName;
}

/**
 * `04:20 Europe/Warsaw`; with the date in front (`2026-03-02 04:20 Europe/Warsaw`) when the
 * instant is a day or more away from `nowMs`.
 */
export function formatClock(atMs: number, nowMs: number, zone = localZone()): string {
  const at = DateTime.fromMillis(atMs, { zone });
  const format = Math.abs(atMs - nowMs) >= DAY ? 'yyyy-MM-dd HH:mm' : 'HH:mm';
  return `${at.toFormat(format)} ${zone}`;
}

/** `in 3h12m (04:20 Europe/Warsaw)`, or `12m ago (…)` once the instant has passed. */
export function formatCountdown(atMs: number, nowMs: number, zone = localZone()): string {
  const when = formatClock(atMs, nowMs, zone);
  const span = formatDuration(atMs - nowMs);
  return atMs >= nowMs ? `in ${span} (${when})` : `${span} ago (${when})`;
}

/** `14:03:12` for today in `zone`, else `2026-03-01 14:03:12`; `withMs` adds `.123`. */
export function formatTimestamp(
  atMs: number,
  nowMs: number,
  options: { zone?: string; withMs?: boolean } = {},
): string {
  const zone = options.zone ?? localZone();
  const at = DateTime.fromMillis(atMs, { zone });
  const sameDay = at.hasSame(DateTime.fromMillis(nowMs, { zone }), 'day');
  const time = options.withMs === true ? 'HH:mm:ss.SSS' : 'HH:mm:ss';
  return at.toFormat(sameDay ? time : `yyyy-MM-dd ${time}`);
}

export type Colour = 'red' | 'yellow' | 'green' | 'cyan' | 'magenta' | 'dim' | 'bold';

const ANSI: Record<Colour, [number, number]> = {
  red: [31, 39],
  yellow: [33, 39],
  green: [32, 39],
  cyan: [36, 39],
  magenta: [35, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export type Paint = (colour: Colour, text: string) => string;

/** ANSI colours when `enabled`, plain text otherwise. */
export function createPaint(enabled: boolean): Paint {
  return (colour, text) => {
    if (!enabled || text === '') return text;
    const [open, close] = ANSI[colour];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  };
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function stdoutWantsColour(env: NodeJS.ProcessEnv = process.env): boolean {
  return process.stdout.isTTY && (env['NO_COLOR'] ?? '') === '';
}
