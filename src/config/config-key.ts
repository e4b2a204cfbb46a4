import { parse as parseToml, stringify } from 'smol-toml';
import type { ZodType } from 'zod';
import { CONFIG_SECTIONS } from './schema.js';

export type KeyLookup =
  | { readonly ok: true; readonly section: string; readonly key: string; readonly field: ZodType }
  | { readonly ok: false; readonly message: string };

/** `http.port` → its section, key and schema; an unknown key is named, with what exists. PURE. */
export function lookupKey(dotted: string): KeyLookup {
  const sections = CONFIG_SECTIONS.map((s) => s.name);
  const [section = '', key, ...rest] = dotted.split('.');
  const found = CONFIG_SECTIONS.find((s) => s.name === section);
  if (found === undefined || key === undefined || rest.length > 0) {
    return {
      ok: false,
      message: `unknown key "${dotted}": keys are <section>.<key>, sections: ${sections.join(', ')}`,
    };
  }
  const shape: Readonly<Record<string, ZodType>> = found.schema.shape;
  const field = shape[key];
  if (field === undefined) {
    const keys = Object.keys(shape).join(', ');
    return { ok: false, message: `unknown key "${dotted}": [${section}] has ${keys}` };
  }
  return { ok: true, section, key, field };
}

/**
 * The TOML source for a value given on the command line: `8080`, `true`, `"quoted"`, `[1, 2]` as
 * TOML when they parse and the key accepts them; anything else (`debug`, `127.0.0.1`, or `2026`
 * for a string key) as a string. PURE.
 */
export function tomlValueFor(raw: string, field: ZodType): string {
  const parsed = parseValue(raw);
  const asString = stringify({ v: raw }).slice('v = '.length).trim();
  if (parsed === undefined) return asString;
  if (field.safeParse(parsed.value).success) return parsed.source;
  if (field.safeParse(raw).success) return asString;
  return parsed.source; // neither fits: validation names the problem for this value
}

function parseValue(raw: string): { value: unknown; source: string } | undefined {
  if (/[\r\n]/.test(raw)) return undefined; // one value, never extra lines of TOML
  let value: unknown;
  try {
    value = parseToml(`v = ${raw}`)['v'];
  } catch {
    return undefined;
  }
  // Tables are no config value; keep what was typed, for the error message.
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return { value, source: raw };
  }
  return { value, source: stringify({ v: value }).slice('v = '.length).trim() };
}
