import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PalError } from '../errors.js';
import { hasCode } from '../node-util.js';
import { isLoopbackHost } from '../http/loopback.js';
import type { HttpSecurity } from '../http/security.js';
import type { Config } from './schema.js';

const TOKEN = /^[\x21-\x7e]+$/;

/**
 * The API token from `[http] token` or `token_file`, or undefined when neither is set. The
 * daemon and the CLI both read it here. Errors name the file, never its content.
 */
export async function readHttpToken(http: Config['http']): Promise<string | undefined> {
  if (http.token !== '' && http.token_file !== '') {
    throw new PalError('config_invalid', 'http.token and http.token_file are both set; keep one');
  }
  if (http.token !== '') return http.token;
  if (http.token_file === '') return undefined;
  return readTokenFile(http.token_file);
}

/**
 * What the HTTP layer enforces: the configured token, else the one in `tokenFile` (made at the
 * first start). Either way `tokenFile` ends up holding it, so that local clients which cannot read
 * the config (the hook forwarder) find it. Refuses a bind beyond loopback without a configured
 * token: a remote client must be given one on purpose.
 */
export async function httpSecurityFor(
  http: Config['http'],
  tokenFile: string,
): Promise<HttpSecurity> {
  const configured = await readHttpToken(http);
  if (configured === undefined && !isLoopbackHost(http.host)) {
    throw new PalError(
      'config_invalid',
      `http.host = ${JSON.stringify(http.host)} is not a loopback address, so the API needs a ` +
        'token: set [http] token or token_file (e.g. from `openssl rand -hex 32`), ' +
        'or bind 127.0.0.1',
    );
  }
  if (configured === undefined) return { host: http.host, token: await ensureApiToken(tokenFile) };
  // The state directory's copy is only a mirror: one unreadable or wrong (mode, content) is
  // rewritten, and a rewrite that fails is the start's (or the reload's) error.
  if ((await readApiToken(tokenFile).catch(() => undefined)) !== configured) {
    await writeApiToken(tokenFile, configured);
  }
  return { host: http.host, token: configured };
}

/** What a local client sends: the configured token, else `tokenFile`'s; undefined: neither. */
export async function clientToken(
  http: Config['http'],
  tokenFile: string,
): Promise<string | undefined> {
  return (await readHttpToken(http)) ?? (await readApiToken(tokenFile));
}

/** The token in `tokenFile`, or undefined when there is none yet. Bad mode or content: an error. */
export async function readApiToken(tokenFile: string): Promise<string | undefined> {
  try {
    return await readTokenFile(tokenFile, 'api token file');
  } catch (error) {
    if (error instanceof PalError && hasCode(error.cause, 'ENOENT')) return undefined;
    throw error;
  }
}

/** The token in `tokenFile`, made (random, 256 bits) when there is none. */
export async function ensureApiToken(tokenFile: string): Promise<string> {
  const existing = await readApiToken(tokenFile);
  if (existing !== undefined) return existing;
  return rotateApiToken(tokenFile);
}

/** Replaces the token in `tokenFile` with a new random one and returns it. */
export async function rotateApiToken(tokenFile: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await writeApiToken(tokenFile, token);
  return token;
}

/** Atomic (a client may read it at any moment), 0600 in a 0700 directory. */
async function writeApiToken(tokenFile: string, token: string): Promise<void> {
  await mkdir(dirname(tokenFile), { recursive: true, mode: 0o700 });
  const temp = `${tokenFile}.${String(process.pid)}.tmp`;
  await writeFile(temp, `${token}\n`, { mode: 0o600 });
  await rename(temp, tokenFile);
}

async function readTokenFile(path: string, what = 'http.token_file'): Promise<string> {
  const bad = (problem: string, cause?: unknown): PalError =>
    new PalError('config_invalid', `${what} ${path} ${problem}`, { cause });
  // One open file for the checks and the read, so the file checked is the file read.
  const handle = await open(path, 'r').catch((error: unknown) => {
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw bad(`cannot be read (${code})`, error);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw bad('is not a regular file');
    const uid = process.getuid?.();
    // Windows has neither uids nor meaningful mode bits.
    if (uid !== undefined) {
      const mode = info.mode & 0o777;
      if ((mode & 0o077) !== 0) {
        throw bad(`has mode 0${mode.toString(8)}; it must be 0600 or stricter: chmod 600 ${path}`);
      }
      if (info.uid !== uid) throw bad(`is owned by uid ${info.uid}, not by you (uid ${uid})`);
    }
    const token = (await handle.readFile('utf8')).trim();
    if (token === '') throw bad('is empty');
    if (!TOKEN.test(token)) throw bad('must hold one token: visible ASCII, no spaces');
    return token;
  } finally {
    await handle.close();
  }
}
