import autocannon from 'autocannon';

export interface LoadResult {
  /** Mean of autocannon's per-second request counts: what autocannon prints as Req/Sec Avg. */
  readonly reqPerSec: number;
  readonly total: number;
  /** Human-readable descriptions of errors, timeouts and non-2xx answers; empty when clean. */
  readonly problems: string[];
}

/** Closed-loop load: `connections` keep-alive clients, each sending as soon as it has an answer. */
export function throughput(url: string, connections: number, seconds: number): Promise<LoadResult> {
  return run({ url, connections, duration: seconds }, seconds * 1000 + 30_000);
}

/** Exactly `amount` requests at 10 connections, with a progress line to stderr every 10 s. */
export function scrapes(url: string, amount: number, label: string): Promise<LoadResult> {
  // Bounded generously: 5 ms per request is ~5× slower than the slowest server measured so far.
  const timeoutMs = Math.max(120_000, amount * 5);
  return run({ url, connections: 10, amount }, timeoutMs, (done) => {
    console.error(`[bench] ${label}: ${done}/${amount} scrapes`);
  });
}

function run(
  options: autocannon.Options,
  timeoutMs: number,
  progress?: (done: number) => void,
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    let done = 0;
    const instance = autocannon(options, (error: unknown, result: autocannon.Result) => {
      clearTimeout(timer);
      clearInterval(ticker);
      if (error !== null && error !== undefined) reject(asError(error));
      else resolve(summarize(result));
    });
    const timer = setTimeout(() => {
      clearInterval(ticker);
      instance.stop();
      reject(new Error(`autocannon did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    const ticker = setInterval(() => progress?.(done), 10_000);
    if (progress !== undefined) {
      instance.on('response', () => {
        done++;
      });
    }
  });
}

function summarize(result: autocannon.Result): LoadResult {
  const problems: string[] = [];
  if (result.errors > 0) problems.push(`${result.errors} errors`);
  if (result.timeouts > 0) problems.push(`${result.timeouts} timeouts`);
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx responses`);
  if (result['2xx'] === 0) problems.push('no 2xx responses at all');
  return { reqPerSec: result.requests.average, total: result.requests.total, problems };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
