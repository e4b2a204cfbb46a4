import { stringify } from 'smol-toml';
import type { ZodType } from 'zod';
import { CONFIG_SECTIONS, defaultConfig, type Config } from './schema.js';

const SECRET_KEY = /(token|password|secret|webhook|api_key)/i;
/** `token_file` and the like name where a secret is kept, not the secret: the path is shown. */
const SECRET_PATH_KEY = /_file$/i;
export const REDACTED = '<redacted>';

/**
 * Replaces every value whose key names a secret. Applied to everything that shows configuration
 * (`config show`, status, logs), so a secret added to the schema later is covered by its name.
 */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, '') as T;
}

function redactValue(value: unknown, key: string): unknown {
  const secret = SECRET_KEY.test(key) && !SECRET_PATH_KEY.test(key);
  if (secret && value !== '' && value !== null && value !== undefined) {
    return REDACTED;
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, k)]));
  }
  return value;
}

/** The file `config init` writes: every key with its default and a comment saying what it does. */
export function renderDefaultConfigFile(): string {
  const defaults = defaultConfig();
  const out = [
    '# palingenesis configuration.',
    '# Every key is shown with its default; delete a key to go back to the default.',
    '# Check your edits with `palingenesis config validate`.',
  ];
  for (const section of CONFIG_SECTIONS) {
    out.push('', `# ${section.description}`, `[${section.name}]`);
    const values: Record<string, unknown> = defaults[section.name];
    const shape: Readonly<Record<string, ZodType>> = section.schema.shape;
    for (const [key, field] of Object.entries(shape)) {
      if (field.description !== undefined) out.push(`# ${field.description}`);
      out.push(stringify({ [key]: values[key] }).trim());
    }
  }
  return out.join('\n') + '\n';
}

/** The effective configuration as TOML, secrets redacted. */
export function renderConfigToml(config: Config): string {
  return stringify(redactSecrets(config));
}
