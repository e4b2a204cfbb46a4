import { stringify } from 'smol-toml';
import type { ZodType } from 'zod';
import { CONFIG_SECTIONS, defaultConfig, type Config } from './schema.js';

const SECRET_KEY = /(token|password|secret|webhook|api_key)/i;
/** `token_file` and the like name where a secret is kept, not the secret: the path is shown. */
const SECRET_PATH_KEY = /_file$/i;
/**
 * Config tables whose every value is a secret whatever its key (`Authorization`, `x-api-key`):
 * matched by the whole path from the config root, so an event's evidence `headers` (a provider's
 * `retry-after`) stay visible.
 */
const SECRET_TABLES = new Set(['otel.headers']);
/** Keys secret only where they are: a notification URL holds a token (Discord, Slack, ntfy topic). */
const SECRET_PATHS = new Set(['notifications.channels.url']);
export const REDACTED = '<redacted>';

/**
 * Replaces every value whose key names a secret. Applied to everything that shows configuration
 * (`config show`, status, logs), so a secret added to the schema later is covered by its name.
 */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, []) as T;
}

function redactValue(value: unknown, path: readonly string[]): unknown {
  const key = path.at(-1) ?? '';
  const secret =
    (SECRET_KEY.test(key) && !SECRET_PATH_KEY.test(key)) ||
    SECRET_TABLES.has(path.slice(0, -1).join('.')) ||
    SECRET_PATHS.has(path.join('.')) ||
    // Such a table as TOML text (`config set otel.headers '{ … }'` echoes what it wrote).
    (SECRET_TABLES.has(path.join('.')) && typeof value === 'string');
  if (secret && value !== '' && value !== null && value !== undefined) {
    return REDACTED;
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, path));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, redactValue(v, [...path, k])]),
    );
  }
  return value;
}

/** The file `config init` writes: every key with its default and a comment saying what it does. */
export function renderDefaultConfigFile(): string {
  const defaults: Readonly<Record<string, Record<string, unknown>>> = defaultConfig();
  const out = [
    '# palingenesis configuration.',
    '# Every key is shown with its default; delete a key to go back to the default.',
    '# Check your edits with `palingenesis config validate`.',
  ];
  for (const section of CONFIG_SECTIONS) {
    out.push('', `# ${section.description}`, `[${section.name}]`);
    const values = defaults[section.name] ?? {};
    const shape: Readonly<Record<string, ZodType>> = section.schema.shape;
    for (const [key, field] of Object.entries(shape)) {
      if (field.description !== undefined) out.push(`# ${field.description}`);
      // An array of tables is shown as a commented example: `key = []` here would forbid the
      // `[[section.key]]` tables a user adds below it.
      if ('example' in section && isEmptyArray(values[key])) continue;
      out.push(renderKey(key, values[key]));
    }
    if ('example' in section)
      out.push(...section.example.split('\n').map((l) => (l === '' ? '#' : `# ${l}`)));
  }
  return out.join('\n') + '\n';
}

function isEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

/** `key = value`; a table inline, since a `[key]` header would end the section. */
function renderKey(key: string, value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return stringify({ [key]: value }).trim();
  }
  const pairs = Object.entries(value as Record<string, unknown>).map(([k, v]) =>
    stringify({ [k]: v }).trim(),
  );
  return pairs.length === 0 ? `${key} = {}` : `${key} = { ${pairs.join(', ')} }`;
}

/** The effective configuration as TOML, secrets redacted. */
export function renderConfigToml(config: Config): string {
  return stringify(redactSecrets(config));
}
