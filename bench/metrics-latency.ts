// Latency at a fixed request rate, measured here rather than with autocannon: autocannon's
// latency histogram has a lowest discernible value of 1 ms, so its p50/p99 are whole
// milliseconds, too coarse for a sub-millisecond endpoint. hrtime per request is exact.
import { Agent, get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LatencyResult {
  readonly rate: number;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly problems: string[];
}

const REQUEST_TIMEOUT_MS = 5_000;
/** Requests sent before measuring, so that socket setup is not counted as latency. */
const PRIME_REQUESTS = 10;

/**
 * Open loop: request i is sent at start + i/rate whether or not earlier ones have answered, so
 * a slow answer cannot hold back later sends and hide itself (coordinated omission).
 */
export async function pacedLatency(
  url: string,
  rate: number,
  seconds: number,
): Promise<LatencyResult> {
  // Up to 10 keep-alive sockets, like a handful of scrapers; at these rates 1–2 are used.
  const agent = new Agent({ keepAlive: true, maxSockets: 10 });
  try {
    for (let i = 0; i < PRIME_REQUESTS; i++) await timedGet(url, agent);
    const count = Math.max(1, Math.round(rate * seconds));
    const intervalNs = BigInt(Math.round(1e9 / rate));
    const start = process.hrtime.bigint();
    const pending: Promise<number | Error>[] = [];
    for (let i = 0; i < count; i++) {
      await sleepUntil(start + BigInt(i) * intervalNs);
      pending.push(timedGet(url, agent).catch((error: unknown) => asError(error)));
    }
    return summarize(rate, await Promise.all(pending));
  } finally {
    agent.destroy();
  }
}

async function sleepUntil(targetNs: bigint): Promise<void> {
  const waitMs = Number(targetNs - process.hrtime.bigint()) / 1e6;
  if (waitMs > 0) await sleep(waitMs);
}

/** Milliseconds from sending the request to receiving the last byte of a 2xx body. */
function timedGet(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = process.hrtime.bigint();
    const request = get(url, { agent, timeout: REQUEST_TIMEOUT_MS }, (response) => {
      response.resume();
      response.on('end', () => {
        const ms = Number(process.hrtime.bigint() - sent) / 1e6;
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(ms);
        else reject(new Error(`HTTP ${status}`));
      });
      response.on('error', reject);
    });
    request.on('timeout', () => {
      request.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`));
    });
    request.on('error', reject);
  });
}

function summarize(rate: number, outcomes: (number | Error)[]): LatencyResult {
  const latencies = outcomes
    .filter((o): o is number => typeof o === 'number')
    .sort((a, b) => a - b);
  const errors = outcomes.filter((o): o is Error => o instanceof Error);
  const problems =
    errors.length > 0 ? [`${errors.length} failed: ${errors[0]?.message ?? ''}`] : [];
  return {
    rate,
    samples: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    problems,
  };
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
function percentile(sorted: number[], p: number): number {
  const index = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
