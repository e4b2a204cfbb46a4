import { z } from 'zod';
import { formatTimestamp, type Colour, type Paint } from './format.js';

/** The fields pino writes on every line of the daemon's log; the rest is the line's context. */
const pinoLine = z.looseObject({
  level: z.union([z.number(), z.string()]),
  time: z.union([z.string(), z.number()]),
  msg: z.string().optional(),
});

const LEVELS: Record<number, [string, Colour]> = {
  10: ['TRACE', 'dim'],
  20: ['DEBUG', 'dim'],
  30: ['INFO', 'green'],
  40: ['WARN', 'yellow'],
  50: ['ERROR', 'red'],
  60: ['FATAL', 'red'],
};
const NOT_CONTEXT = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** The instant of a pino line, or undefined for a line that is not one. */
export function logLineTime(line: string): number | undefined {
  const parsed = parse(line);
  if (parsed === undefined) return undefined;
  const atMs = typeof parsed.time === 'number' ? parsed.time : Date.parse(parsed.time);
  return Number.isNaN(atMs) ? undefined : atMs;
}

/** `14:03:12.123 INFO  msg key=value …`; a line that is not pino JSON is returned as it is. */
export function describeLogLine(
  line: string,
  o: { readonly nowMs: number; readonly zone: string; readonly paint: Paint },
): string {
  const parsed = parse(line);
  const atMs = logLineTime(line);
  if (parsed === undefined || atMs === undefined) return line;
  const [name, colour] =
    typeof parsed.level === 'number'
      ? (LEVELS[parsed.level] ?? [String(parsed.level), 'bold'])
      : [parsed.level.toUpperCase(), 'bold' as const];
  const context = Object.entries(parsed)
    .filter(([key, value]) => !NOT_CONTEXT.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${contextValue(key, value)}`);
  return [
    o.paint('dim', formatTimestamp(atMs, o.nowMs, { zone: o.zone, withMs: true })),
    o.paint(colour, name.padEnd(5)),
    parsed.msg ?? '',
    ...context.map((c) => o.paint('dim', c)),
  ]
    .filter((part) => part !== '')
    .join(' ');
}

function parse(line: string): z.infer<typeof pinoLine> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = pinoLine.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

const errShape = z.looseObject({ type: z.string().optional(), message: z.string() });

/** Errors by their message (the stack stays in `--json`); other objects as compact JSON. */
function contextValue(key: string, value: unknown): string {
  if (key === 'err') {
    const err = errShape.safeParse(value);
    if (err.success) return JSON.stringify(`${err.data.type ?? 'Error'}: ${err.data.message}`);
  }
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}
