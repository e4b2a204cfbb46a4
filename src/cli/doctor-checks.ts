import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { z } from 'zod';
import { formatIssue, type LoadResult } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { DoctorCheck, DoctorStatus, VersionCheckInput } from '../agents/definition.js';
import type { DaemonClient } from './daemon-client.js';
import { inlineTokenExposure } from '../daemon/inline-token-exposure.js';
import { describeSystemError } from '../node-util.js';

export type CheckStatus = DoctorStatus;

/** One line of `palingenesis doctor`: what was found and, unless it is fine, how to fix it. */
export type Check = DoctorCheck;

const VERSION_TIMEOUT_MS = 10_000;
const STATUS_TIMEOUT_MS = 3_000;
const statusBody = z.looseObject({ state: z.string(), pid: z.number(), version: z.string() });

export async function configCheck(result: LoadResult): Promise<Check> {
  if (result.ok) {
    // Valid, but an inline token others can read is a secret on show.
    // A mode that cannot be read is said, not taken for a private file.
    const exposed = result.exists
      ? await inlineTokenExposure(result.path, result.config.http).catch(
          (error: unknown) =>
            `${result.path} holds [http] token, and who may read it cannot be told: ` +
            (describeSystemError(error) ?? String(error)),
        )
      : undefined;
    if (exposed !== undefined) {
      return {
        name: 'config',
        status: 'warn',
        finding: exposed,
        fix: `chmod 600 ${result.path} (or move the token to [http] token_file)`,
      };
    }
    const finding = result.exists
      ? `${result.path} is valid`
      : `no file at ${result.path}; the defaults apply`;
    return { name: 'config', status: 'ok', finding };
  }
  const problems = result.issues.map((issue) => formatIssue(result.path, issue)).join('; ');
  return {
    name: 'config',
    status: 'fail',
    finding: `invalid: ${problems}`,
    fix: 'palingenesis config edit (it validates before saving), or fix the lines named above',
  };
}

/** Whether the daemon answers; `reachable` lets the port check skip binding its port. */
export async function daemonCheck(
  client: DaemonClient,
  config: Config,
): Promise<{ check: Check; reachable: boolean }> {
  const name = 'daemon';
  if (!config.http.enabled) {
    const finding = 'not checked: the HTTP API is off ([http] enabled = false)';
    const fix = 'palingenesis config set http.enabled true, then restart the daemon';
    return { check: { name, status: 'warn', finding, fix }, reachable: false };
  }
  let response: Response;
  try {
    // Short: something that accepts connections but never answers HTTP is not our daemon.
    response = await client.fetch('/api/v1/status', {
      signal: AbortSignal.timeout(STATUS_TIMEOUT_MS),
    });
  } catch {
    const finding = `not reachable at ${client.url}`;
    const fix = 'palingenesis daemon start --foreground, or palingenesis service install';
    return { check: { name, status: 'fail', finding, fix }, reachable: false };
  }
  const body = statusBody.safeParse(await response.json().catch(() => undefined));
  if (response.ok && body.success) {
    const { state, pid, version } = body.data;
    const finding = `running at ${client.url}: ${state}, pid ${pid}, version ${version}`;
    return { check: { name, status: 'ok', finding }, reachable: true };
  }
  const refused = response.status === 401 || response.status === 403;
  const finding = `${client.url} answers GET /api/v1/status with HTTP ${response.status}`;
  const fix = refused
    ? 'give this CLI the token the daemon uses (palingenesis token; [http] token or token_file)'
    : 'is it palingenesis? Look at the daemon log: palingenesis logs';
  // A refusal is our daemon wanting a token; anything else may be another program on the port.
  return { check: { name, status: 'fail', finding, fix }, reachable: refused };
}

/** With no daemon running, binds host:port for a moment to see whether the daemon could. */
export async function portCheck(config: Config, daemonReachable: boolean): Promise<Check> {
  const { host, port, enabled } = config.http;
  const where = `${host}:${port}`;
  if (!enabled) return { name: 'port', status: 'ok', finding: 'not used ([http] enabled = false)' };
  if (daemonReachable) return { name: 'port', status: 'ok', finding: `${where} is the daemon's` };
  if (port === 0) return { name: 'port', status: 'ok', finding: 'port 0: a free one is picked' };
  const error = await tryBind(host, port);
  if (error === undefined) return { name: 'port', status: 'ok', finding: `${where} is free` };
  const inUse = error === 'EADDRINUSE';
  return {
    name: 'port',
    status: 'fail',
    finding: inUse ? `${where} is in use by another program` : `cannot bind ${where} (${error})`,
    fix: inUse
      ? 'stop that program, or choose another port: palingenesis config set http.port <port>'
      : 'choose another address: palingenesis config set http.host 127.0.0.1',
  };
}

function tryBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? error.message);
    });
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => {
        resolve(undefined);
      });
    });
  });
}

/** `<binary> --version`, bounded in time; what an agent check reports. */
export function agentVersionCheck(input: VersionCheckInput): Promise<Check> {
  const { name, binary } = input;
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: VERSION_TIMEOUT_MS }, (error, stdout, stderr) => {
      const version = `${stdout}${stderr}`.trim().split('\n')[0] ?? '';
      if (error === null) {
        const note = input.enabled ? '' : ` (disabled: [${input.configKey}] enabled = false)`;
        resolve({ name, status: 'ok', finding: `${version} (${binary})${note}` });
        return;
      }
      const why =
        'code' in error && error.code === 'ENOENT'
          ? `"${binary}" not installed (not found)`
          : error.killed
            ? `"${binary} --version" did not answer within ${VERSION_TIMEOUT_MS / 1000} s`
            : `"${binary} --version" failed: ${version || error.message}`;
      if (!input.enabled) {
        resolve({ name, status: 'ok', finding: `${why}; disabled in the config, so not needed` });
        return;
      }
      // An agent on by default that this machine does not have only needs turning off.
      const fix = input.required
        ? `${input.install}, or set [${input.configKey}] binary to its path`
        : `${input.install}, or set [${input.configKey}] binary to its path; not used here: ` +
          `palingenesis config set ${input.configKey}.enabled false`;
      resolve({ name, status: input.required ? 'fail' : 'warn', finding: why, fix });
    });
  });
}
