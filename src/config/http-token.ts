import { open } from 'node:fs/promises';
import { PalError } from '../errors.js';
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
 * What the HTTP layer enforces. Refuses a bind beyond loopback without a token: anyone who can
 * reach the port could otherwise pause the daemon or read every session.
 */
export async function httpSecurityFor(http: Config['http']): Promise<HttpSecurity> {
  const token = await readHttpToken(http);
  if (token === undefined && !isLoopbackHost(http.host)) {
    throw new PalError(
      'config_invalid',
      `http.host = ${JSON.stringify(http.host)} is not a loopback address, so the API needs a ` +
        'token: set [http] token or token_file (e.g. from `openssl rand -hex 32`), ' +
        'or bind 127.0.0.1',
    );
  }
  return { host: http.host, token };
}

async function readTokenFile(path: string): Promise<string> {
  const bad = (problem: string, cause?: unknown): PalError =>
    new PalError('config_invalid', `http.token_file ${path} ${problem}`, { cause });
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
