import type { Fault, ProxiedRequest } from './fault-proxy.js';
import type { Prng } from './prng.js';
import { eventsOf, type DaemonEvent, type DaemonRun } from './soak-daemon.js';
import type { FaultProxy } from './fault-proxy.js';

/**
 * Where a session's resume stands: `pending` (its job is saved and waits for its time), `firing`
 * (the attempt began: sentAt saved, the prompt on its way), `verifying` (the agent took the
 * prompt, the daemon waits to see the session busy), `retrying` (an attempt failed: its job is
 * being replaced by the next attempt's, or that one waits).
 */
export type Phase = 'pending' | 'firing' | 'verifying' | 'retrying';
export const PHASES: readonly Phase[] = ['pending', 'firing', 'verifying', 'retrying'];

/** Where a kill is aimed: the moment a resume enters a phase (plus a short random delay). */
export type Target = Phase | 'anytime';
export const TARGETS: readonly (readonly [Target, number])[] = [
  ['pending', 0.25],
  ['firing', 0.15],
  ['verifying', 0.25],
  ['retrying', 0.2],
  ['anytime', 0.15],
];

const REACH_TIMEOUT_MS = 15_000;

/** `POST /session/<id>/prompt_async`: how the daemon sends a prompt to opencode. */
export function promptedSession(r: { method: string; path: string }): string | undefined {
  if (r.method !== 'POST') return undefined;
  return /^\/session\/([^/?]+)\/prompt_async/.exec(r.path)?.[1];
}

/** The proxy's faults: a share of opencode prompts fail at random, and one on demand. */
export interface Faults {
  decide(request: { method: string; path: string }): Fault | undefined;
  /** Fails the next prompt, so that a retry is sure to come. */
  failNext(): void;
  injected(): number;
}

export function createFaults(rng: Prng, rate: number): Faults {
  let armed = false;
  let injected = 0;
  return {
    decide(request) {
      if (promptedSession(request) === undefined) return undefined;
      if (!armed && !rng.chance(rate)) return undefined;
      armed = false;
      injected++;
      return { status: 503, body: { error: 'soak: injected failure of the prompt' } };
    },
    failNext: () => (armed = true),
    injected: () => injected,
  };
}

/**
 * Waits until a resume enters the target phase, then a random short while, so the kill lands
 * inside it. False when no resume got there in time (the kill then lands wherever it lands).
 */
export async function reach(
  target: Target,
  run: DaemonRun,
  proxy: FaultProxy,
  faults: Faults,
  rng: Prng,
): Promise<boolean> {
  const from = run.events.messages.length;
  const proxied = proxy.requests().length;
  const event = (type: string) =>
    run.events.waitFor((m) => m.event === type, REACH_TIMEOUT_MS, from);
  let delayMs: number;
  try {
    switch (target) {
      case 'pending': {
        const due = await run.events.waitFor(
          (m) => m.event === 'resume.scheduled' && dueIn(m.data) > 200,
          REACH_TIMEOUT_MS,
          from,
        );
        delayMs = rng.uniform(0, dueIn(due.data) - 100);
        break;
      }
      case 'firing':
        await event('resume.started');
        delayMs = rng.uniform(0, 20);
        break;
      case 'verifying':
        await proxy.waitFor(
          (r) => promptedSession(r) !== undefined && !r.faulted && r.status < 300,
          REACH_TIMEOUT_MS,
          proxied,
        );
        delayMs = rng.uniform(0, 50);
        break;
      case 'retrying':
        faults.failNext();
        await event('resume.failed');
        delayMs = rng.uniform(0, 30);
        break;
      case 'anytime':
        delayMs = rng.uniform(0, 3000);
    }
  } catch {
    return false;
  }
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  return true;
}

function dueIn(data: string): number {
  const parsed: unknown = JSON.parse(data);
  const dueAt =
    typeof parsed === 'object' && parsed !== null && 'dueAt' in parsed ? parsed.dueAt : undefined;
  return typeof dueAt === 'number' ? dueAt - Date.now() : 0;
}

/** Where every session's resume stood at this instant, from this life's events and prompts. */
export function phasesNow(run: DaemonRun, proxied: readonly ProxiedRequest[]): Map<string, Phase> {
  const phases = new Map<string, Phase>();
  const started = new Map<string, number>();
  for (const e of eventsOf(run)) {
    if (e.sessionId === undefined) continue;
    const next = phaseAfter(e, phases.get(e.sessionId));
    if (e.type === 'resume.started') started.set(e.sessionId, e.at);
    if (next === undefined) phases.delete(e.sessionId);
    else phases.set(e.sessionId, next);
  }
  for (const r of proxied.slice(run.proxyMark)) {
    const id = promptedSession(r);
    if (id === undefined || r.faulted || r.status >= 300) continue;
    if (phases.get(id) === 'firing' && r.at >= (started.get(id) ?? Infinity)) {
      phases.set(id, 'verifying');
    }
  }
  return phases;
}

function phaseAfter(e: DaemonEvent, before: Phase | undefined): Phase | undefined {
  switch (e.type) {
    case 'resume.scheduled':
      return (e.attempt ?? 1) > 1 ? 'retrying' : 'pending';
    case 'resume.started':
      return 'firing';
    case 'resume.failed':
      return 'retrying';
    case 'session.resumed':
    case 'resume.dropped':
    case 'resume.gave_up':
    case 'resume.needs_user':
      return undefined;
    default:
      return before;
  }
}
