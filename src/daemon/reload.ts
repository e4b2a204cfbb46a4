import { httpSecurityFor } from '../config/http-token.js';
import { formatIssue, loadConfig } from '../config/load.js';
import type { ConfigLocation } from '../config/paths.js';
import type { Config } from '../config/schema.js';
import { isPalError } from '../errors.js';
import type { HttpSecurity } from '../http/security.js';
import { describeSystemError } from '../node-util.js';

/** Sections the running daemon reads afresh each time: a change takes effect at once. */
const LIVE_SECTIONS = [
  'resume',
  'metrics',
  'daemon',
  'notifications',
] as const satisfies readonly (keyof Config)[];

/**
 * Keys of other sections the daemon applies live: the API token is checked on every request, so
 * the daemon swaps it in place (see reloadSecurity). Where it listens needs a restart.
 */
const LIVE_HTTP_KEYS = ['token', 'token_file'] as const satisfies readonly (keyof Config['http'])[];

export interface ConfigDiff {
  /** Keys (`section.key`) that changed and took effect. */
  readonly applied: string[];
  /** Keys that changed but only take effect after a restart. */
  readonly needsRestart: string[];
}

/** PURE: which keys differ, split by whether the running daemon can apply them. */
export function diffConfig(old: Config, next: Config): ConfigDiff {
  const applied: string[] = [];
  const needsRestart: string[] = [];
  for (const section of Object.keys(next) as (keyof Config)[]) {
    const before = old[section] as Record<string, unknown>;
    const after = next[section] as Record<string, unknown>;
    for (const key of Object.keys(after)) {
      if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
      const name = `${section}.${key}`;
      if (isLive(section, key)) applied.push(name);
      else needsRestart.push(name);
    }
  }
  return { applied, needsRestart };
}

function isLive(section: keyof Config, key: string): boolean {
  if ((LIVE_SECTIONS as readonly string[]).includes(section)) return true;
  return section === 'http' && (LIVE_HTTP_KEYS as readonly string[]).includes(key);
}

/** PURE: the config now in force: live keys from `next`, the rest as the daemon started. */
export function mergeLive(current: Config, next: Config): Config {
  return {
    ...current,
    http: { ...current.http, token: next.http.token, token_file: next.http.token_file },
    resume: next.resume,
    metrics: next.metrics,
    daemon: next.daemon,
    notifications: next.notifications,
  };
}

/**
 * A Config whose live sections always read the holder's current value, so the parts that keep a
 * reference (the engine, the executor) see a reload without being rebuilt.
 */
export function liveView(holder: { current: Config }): Config {
  const view = {} as Config;
  for (const section of Object.keys(holder.current) as (keyof Config)[]) {
    Object.defineProperty(view, section, { enumerable: true, get: () => holder.current[section] });
  }
  return view;
}

export type ReloadOutcome =
  | { readonly ok: true; readonly diff: ConfigDiff; readonly config: Config }
  | { readonly ok: false; readonly problems: string[] };

/**
 * Reads and validates the file again; never throws. Only at start does a missing file mean the
 * defaults: a running daemon that finds it gone keeps what it runs with.
 */
export async function readNewConfig(
  location: ConfigLocation,
): Promise<{ ok: true; config: Config } | { ok: false; problems: string[] }> {
  const loaded = await loadConfig({ path: location.path, source: 'default' });
  if (loaded.ok && !loaded.exists) {
    return { ok: false, problems: [`${loaded.path}: the file is gone; the running config stays`] };
  }
  if (loaded.ok) return { ok: true, config: loaded.config };
  return { ok: false, problems: loaded.issues.map((i) => formatIssue(loaded.path, i)) };
}

/**
 * The API security a reloaded `[http]` asks for, checked as at start — but against the host the
 * daemon is bound to, since `host` takes a restart (a token removed from a daemon bound beyond
 * loopback is refused). A bad token file is a problem naming the file; never throws.
 */
export async function reloadSecurity(
  running: HttpSecurity,
  next: Config['http'],
  tokenFile: string,
): Promise<{ ok: true; token: string | undefined } | { ok: false; problems: string[] }> {
  try {
    const security = await httpSecurityFor({ ...next, host: running.host }, tokenFile);
    return { ok: true, token: security.token };
  } catch (error) {
    if (isPalError(error)) return { ok: false, problems: [error.message] };
    // Mirroring the token into the state directory failed (see httpSecurityFor).
    const cause = describeSystemError(error) ?? String(error);
    return { ok: false, problems: [`api token file ${tokenFile}: cannot be written: ${cause}`] };
  }
}
