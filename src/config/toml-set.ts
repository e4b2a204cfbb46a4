import { getStaticTOMLValue, parseTOML, type AST } from 'toml-eslint-parser';

export type TomlEdit =
  { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

/**
 * Sets `section.key` to `value` (TOML source, e.g. `8080` or `"x"`), changing as little text as
 * possible: the value in place (comments on its line stay), else a new line after the section's
 * last key, else a new section at the end. PURE; the caller validates the result.
 */
export function setTomlValue(text: string, section: string, key: string, value: string): TomlEdit {
  let ast: AST.TOMLProgram;
  try {
    ast = parseTOML(text);
  } catch (error) {
    return { ok: false, message: `not valid TOML: ${(error as Error).message}` };
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const nodes = ast.body[0].body;
  const table = nodes.find(
    (node): node is AST.TOMLTable =>
      node.type === 'TOMLTable' && node.kind === 'standard' && same(node.resolvedKey, [section]),
  );
  const topLevel = nodes.filter((node) => node.type === 'TOMLKeyValue');
  const pairs = [
    ...topLevel.map((pair) => ({ pair, path: getStaticTOMLValue(pair.key) })),
    ...(table?.body ?? []).map((pair) => ({
      pair,
      path: [section, ...getStaticTOMLValue(pair.key)],
    })),
  ];
  const existing = pairs.find(({ path }) => same(path, [section, key]));
  if (existing !== undefined) {
    const [start, end] = existing.pair.value.range;
    return { ok: true, text: text.slice(0, start) + value + text.slice(end) };
  }
  if (pairs.some(({ path }) => path[0] === section && path.length === 1)) {
    return { ok: false, message: `[${section}] is written as an inline table; edit it by hand` };
  }
  const line = `${key} = ${value}`;
  if (table !== undefined) {
    const last = table.body.at(-1);
    return { ok: true, text: insertAfterLine(text, (last ?? table).range[1], line, eol) };
  }
  const base = text === '' || text.endsWith('\n') ? text : text + eol;
  const gap = base === '' ? '' : eol;
  return { ok: true, text: `${base}${gap}[${section}]${eol}${line}${eol}` };
}

/** Inserts `line` after the line holding `offset` (past any comment that ends that line). */
function insertAfterLine(text: string, offset: number, line: string, eol: string): string {
  const newline = text.indexOf('\n', offset);
  if (newline === -1) return `${text}${eol}${line}${eol}`;
  return text.slice(0, newline + 1) + line + eol + text.slice(newline + 1);
}

function same(a: readonly (string | number)[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}
