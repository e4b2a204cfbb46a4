// Runs inside every Claude Code hook: node: built-ins only (no zod, pino, commander), so it starts fast.
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { errorCode } from '../node-util.js';
import { spoolDir, writeSpoolEntry, type SpoolAgent } from './spool.js';

/** Give up on the daemon after this and spool instead. */
export const FORWARD_TIMEOUT_MS = 2000;

export type ForwardOutcome =
  | { readonly kind: 'empty' }
  | { readonly kind: 'delivered'; readonly status: number }
  | { readonly kind: 'spooled'; readonly file: string; readonly why: string }
  /** The daemon has no hook intake for this agent (404): kept nowhere, it would never drain. */
  | { readonly kind: 'refused'; readonly why: string };

/** Sends the payload to the daemon, or spools it when the daemon cannot take it. */
export async function forwardHookPayload(
  stateDir: string,
  agent: SpoolAgent,
  payload: Buffer,
): Promise<ForwardOutcome> {
  if (payload.toString('utf8').trim() === '') return { kind: 'empty' };
  const daemon = await readDaemonInfo(join(stateDir, 'daemon.json'));
  let why: string;
  if (typeof daemon === 'string') {
    why = daemon;
  } else {
    const url = new URL(`/api/v1/hooks/${agent}`, daemon.url);
    const token = await readToken(join(stateDir, 'api-token'));
    const answer = await post(url, payload, token, FORWARD_TIMEOUT_MS);
    if (typeof answer === 'number' && answer >= 200 && answer < 300) {
      return { kind: 'delivered', status: answer };
    }
    if (answer === 404) return { kind: 'refused', why: `the daemon takes no hooks from ${agent}` };
    why = typeof answer === 'number' ? `daemon answered ${answer}` : answer;
  }
  const file = await writeSpoolEntry(spoolDir(stateDir, agent), payload);
  return { kind: 'spooled', file, why };
}

/** The daemon's `{pid, url}`, or why there is no daemon to talk to. */
async function readDaemonInfo(path: string): Promise<{ pid: number; url: string } | string> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return errorCode(error) === 'ENOENT'
      ? 'daemon not running (no daemon.json)'
      : `${path}: ${message(error)}`;
  }
  // Hand-checked rather than zod: loading zod would cost every hook run more than the check.
  if (typeof data !== 'object' || data === null) return `${path}: not an object`;
  const { pid, url } = data as { pid?: unknown; url?: unknown };
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0 || typeof url !== 'string') {
    return `${path}: expected {"pid": number, "url": string}`;
  }
  if (!isAlive(pid)) return `daemon not running (pid ${pid} is gone)`;
  if (!url.startsWith('http://')) return `${path}: url must be http://…`;
  return { pid, url };
}

/** The daemon's API token (it made the file, 0600, at its start); undefined when unreadable. */
async function readToken(path: string): Promise<string | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const token = text?.trim();
  return token === undefined || token === '' ? undefined : token;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM'; // alive, but another user's
  }
}

/** POSTs the bytes; resolves with the status code, or with why it failed. Never rejects. */
function post(
  url: URL,
  body: Buffer,
  token: string | undefined,
  timeoutMs: number,
): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, {
      method: 'POST',
      agent: false, // no keep-alive socket holding the process open after the answer
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        resolve(`reading the answer failed: ${message(error)}`);
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      resolve(`daemon unreachable: ${message(error)}`);
    });
    req.end(body);
  });
}

function message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const errCode = errorCode(error);
  return typeof errCode === 'string' && !error.message.includes(errCode)
    ? `${errCode} ${error.message}`
    : error.message;
}
