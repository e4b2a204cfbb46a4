import { TomlError, parse as parseToml } from 'smol-toml';
import { getStaticTOMLValue, parseTOML, type AST } from 'toml-eslint-parser';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

/** One problem in a configuration file, located as precisely as the file allows. */
export interface ConfigIssue {
  /** Dotted key path, e.g. `http.port`; empty for a syntax error. */
  readonly key: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export type ParseResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/**
 * Parses and validates TOML text. Pure: the caller reads the file.
 *
 * smol-toml reads the values and reports syntax errors at the right spot; only when validation
 * fails is the text parsed again into an AST (toml-eslint-parser) to find each bad key's line.
 */
export function parseConfigText(text: string): ParseResult {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const summary = error.message.split('\n')[0] ?? error.message;
    return {
      ok: false,
      issues: [
        { key: '', line: error.line, column: error.column, message: `TOML syntax: ${summary}` },
      ],
    };
  }
  const result = configSchema.safeParse(data);
  if (result.success) return { ok: true, config: result.data };
  const lines = keyLines(text);
  return { ok: false, issues: result.error.issues.flatMap((issue) => toIssues(issue, lines)) };
}

function toIssues(issue: z.core.$ZodIssue, lines: ReadonlyMap<string, number>): ConfigIssue[] {
  // Array indices stay numbers: `notifications.channels[1].url` names the second table.
  const base = issue.path.map((part) => (typeof part === 'number' ? part : String(part)));
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => locate([...base, key], lines, 'unknown key'));
  }
  return [locate(base, lines, describeIssue(issue))];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'invalid_key') return issue.issues.map((i) => i.message).join('; ');
  if (issue.code === 'invalid_union' && 'options' in issue && issue.options !== undefined) {
    return `expected one of ${issue.options.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (issue.code === 'invalid_value') {
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message;
}

function locate(
  path: readonly (string | number)[],
  lines: ReadonlyMap<string, number>,
  message: string,
): ConfigIssue {
  const key = path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
  for (let n = path.length; n > 0; n--) {
    const line = lines.get(path.slice(0, n).join('.'));
    if (line !== undefined) return { key, line, message };
  }
  return { key, message };
}

/** Maps every dotted key path (tables and keys) to the line where it is first written. */
function keyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let ast: AST.TOMLProgram;
  try {
    ast = parseTOML(text);
  } catch {
    // The two parsers disagree on this text; the issues are still reported, without lines.
    return lines;
  }
  const note = (path: string[], line: number): void => {
    for (let n = 1; n <= path.length; n++) {
      const key = path.slice(0, n).join('.');
      if (!lines.has(key)) lines.set(key, line);
    }
  };
  const visitPairs = (pairs: readonly AST.TOMLKeyValue[], prefix: string[]): void => {
    for (const pair of pairs) {
      const path = [...prefix, ...getStaticTOMLValue(pair.key)];
      note(path, pair.key.loc.start.line);
      if (pair.value.type === 'TOMLInlineTable') visitPairs(pair.value.body, path);
    }
  };
  for (const node of ast.body[0].body) {
    if (node.type === 'TOMLKeyValue') {
      visitPairs([node], []);
    } else {
      const path = node.resolvedKey.map(String);
      note(path, node.key.loc.start.line);
      visitPairs(node.body, path);
    }
  }
  return lines;
}
