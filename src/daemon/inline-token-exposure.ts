import { stat } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { hasCode } from '../node-util.js';

/**
 * The warning for an API token written inline (`[http] token = "…"`) in a config file that group
 * or others may read: one line naming the file and the fix. Undefined when there is nothing to
 * say: no inline token, a private file, a file gone since it was read, or Windows (no mode bits).
 */
export async function inlineTokenExposure(
  configPath: string,
  http: Pick<Config['http'], 'token'>,
  platform: NodeJS.Platform = process.platform,
): Promise<string | undefined> {
  if (http.token === '' || platform === 'win32') return undefined;
  let mode: number;
  try {
    mode = (await stat(configPath)).mode & 0o777;
  } catch (error) {
    // Nothing holds the token any more; any other failure is the caller's to log.
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  if ((mode & 0o044) === 0) return undefined;
  return (
    `${configPath} holds [http] token and others can read it (mode 0${mode.toString(8)}): ` +
    `chmod 600 ${configPath}`
  );
}
