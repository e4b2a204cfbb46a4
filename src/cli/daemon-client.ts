import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { clientToken } from '../config/http-token.js';
import { statePaths } from '../config/paths.js';
import { isAlive } from '../daemon/pid-file.js';
import { defaultConfig, type Config } from '../config/schema.js';
import { PalError } from '../errors.js';
import { configLocation, requireConfig, type CliContext } from './context.js';

/**
 * How every CLI command talks to the running daemon: only through its HTTP API. The address comes
 * from `<state dir>/daemon.json` (written by the daemon once it listens), else from the config.
 */
export interface DaemonClient {
  readonly url: string;
  /** JSON in, JSON out; HTTP errors become PalErrors with the daemon's own message. */
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown>;
  /** The raw response, for streams (SSE) and non-JSON bodies. Throws only when unreachable. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

const runtimeFile = z.object({ pid: z.number().int(), url: z.url() });
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const REQUEST_TIMEOUT_MS = 10_000;

/** `<state dir>/daemon.json` as the daemon wrote it, or undefined when absent or unreadable. */
export async function readRuntimeFile(
  path: string,
): Promise<{ pid: number; url: string } | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const parsed = text === undefined ? undefined : runtimeFile.safeParse(safeJson(text));
  return parsed?.success === true ? parsed.data : undefined;
}

/** The daemon's URL: the runtime file when it names a live process, else the configured address. */
export async function daemonUrl(ctx: CliContext, config: Config): Promise<string> {
  const runtime = await readRuntimeFile(statePaths(ctx.pathEnv).runtimeFile);
  if (runtime !== undefined && isAlive(runtime.pid)) return runtime.url;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${String(config.http.port)}`;
}

export function createDaemonClient(
  url: string,
  headers: Readonly<Record<string, string>> = {},
): DaemonClient {
  const send = async (path: string, init: RequestInit = {}): Promise<Response> => {
    try {
      return await fetch(`${url}${path}`, {
        ...init,
        headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
        signal: init.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new PalError(
        'daemon_unreachable',
        `the daemon does not answer at ${url} (${describe(error)}); start it with \`palingenesis daemon start\``,
        { cause: error },
      );
    }
  };
  return {
    url,
    fetch: send,
    async call(method, path, body) {
      const response = await send(path, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const text = await response.text();
      const value = safeJson(text);
      if (response.ok) return value;
      const failure = errorBody.safeParse(value);
      const message = failure.success
        ? failure.data.error.message
        : `HTTP ${String(response.status)} from ${method} ${path}`;
      throw new PalError(codeFor(response.status), message);
    },
  };
}

function codeFor(status: number): PalError['code'] {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 405) return 'usage';
  return 'internal';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

/** Config + address + client, for a command that needs the running daemon. */
export async function connectDaemon(
  ctx: CliContext,
  configFlag: string | undefined,
): Promise<{ config: Config; client: DaemonClient }> {
  const config = await usableConfig(ctx, configFlag);
  return { config, client: await authedClient(ctx, config) };
}

/**
 * A client that sends the token on every request (which routes need it is the daemon's decision,
 * README "Security"): the configured one, else the daemon's `<state dir>/api-token`.
 */
export async function authedClient(ctx: CliContext, config: Config): Promise<DaemonClient> {
  const token = await clientToken(config.http, statePaths(ctx.pathEnv).tokenFile);
  const headers: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };
  return createDaemonClient(await daemonUrl(ctx, config), headers);
}

/**
 * The config, or — when the file is broken but a daemon runs (it keeps its last good config) —
 * the defaults with a warning, so that `status`, `pause` or `daemon reload` still reach it.
 */
export async function usableConfig(
  ctx: CliContext,
  configFlag: string | undefined,
): Promise<Config> {
  try {
    return await requireConfig(configLocation(ctx, configFlag));
  } catch (error) {
    const runtime = await readRuntimeFile(statePaths(ctx.pathEnv).runtimeFile);
    if (!(error instanceof PalError) || error.code !== 'config_invalid' || runtime === undefined)
      throw error;
    ctx.stderr(`palingenesis: warning: ${error.message}\n(using the running daemon's address)\n`);
    return defaultConfig();
  }
}
