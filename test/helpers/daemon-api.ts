import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseExposition, type Family } from './exposition.js';

const sessionSchema = z.object({
  agent: z.string(),
  id: z.string(),
  directory: z.string().nullable(),
  state: z.string(),
  attempts: z.number(),
  lastStop: z.object({ reason: z.string(), detail: z.string() }).nullable(),
  nextWakeAt: z.string().nullable(),
});
export type SessionJson = z.infer<typeof sessionSchema>;

/** Every session the daemon lists (with its API token). */
export async function daemonSessions(daemon: {
  api(path: string): Promise<Response>;
}): Promise<SessionJson[]> {
  const res = await daemon.api('/api/v1/sessions');
  return z.object({ sessions: z.array(sessionSchema) }).parse(await res.json()).sessions;
}

export async function daemonMetrics(url: string): Promise<Map<string, Family>> {
  const res = await fetch(`${url}/api/v1/metrics`);
  return parseExposition(await res.text());
}

/** The value of one sample, selected by labels; 0 when the labelled sample is absent. */
export function sample(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = families.get(name);
  if (!family) throw new Error(`metric family ${name} missing`);
  const found = family.metrics.find((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
  );
  return Number(found?.value ?? 0);
}

/** Polls until `check` returns a value other than undefined; bounded. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const auditEntry = z.looseObject({
  type: z.string(),
  at: z.number(),
  sessionId: z.string().optional(),
  reason: z.string().optional(),
  fromSessionId: z.string().optional(),
  dueAt: z.number().optional(),
});
export type AuditEntry = z.infer<typeof auditEntry>;

/** The daemon's audit log, every line checked. */
export async function readAudit(path: string): Promise<AuditEntry[]> {
  const text = (await readFile(path, 'utf8')).trim();
  return text === '' ? [] : text.split('\n').map((line) => auditEntry.parse(JSON.parse(line)));
}
