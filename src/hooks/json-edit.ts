import {
  applyEdits,
  findNodeAtLocation,
  format,
  modify,
  parseTree,
  type Edit,
  parse,
  printParseErrorCode,
  type FormattingOptions,
  type JSONPath,
  type ParseError,
} from 'jsonc-parser';

/** PURE: minimal, formatting-preserving edits of a user's JSON file (jsonc-parser). */

export type JsonParse =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly line: number;
      readonly column: number;
      readonly message: string;
    };

/** Parses like Claude Code's settings (comments tolerated); the first error has a 1-based position. */
export function parseJson(text: string): JsonParse {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, {
    allowTrailingComma: false,
    disallowComments: false,
  });
  const first = errors[0];
  if (first === undefined) return { ok: true, value };
  const { line, column } = lineColumn(text, first.offset);
  return { ok: false, line, column, message: printParseErrorCode(first.error) };
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/**
 * The file's own indentation (tabs or the smallest run of spaces) and line ending; undefined for a
 * file written on one line, which stays on one line.
 */
export function detectFormatting(text: string): FormattingOptions | undefined {
  const body = text.trim();
  if (!body.includes('\n') && body.length > 2) return undefined;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let spaces = Infinity;
  for (const match of text.matchAll(/^([ \t]+)\S/gm)) {
    const indent = match[1] ?? '';
    if (indent.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
    spaces = Math.min(spaces, indent.length);
  }
  const tabSize = Number.isFinite(spaces) ? Math.min(spaces, 8) : 2;
  return { insertSpaces: true, tabSize, eol };
}

/**
 * Sets (or with `undefined` removes) the value at `path`, creating missing parents. Only the inserted
 * text is formatted, in the file's own style: jsonc-parser's `modify` would also re-indent the
 * neighbouring lines of the user's file, so its formatting edits outside the change are dropped.
 */
export function editJson(
  text: string,
  path: JSONPath,
  value: unknown,
  formatting: FormattingOptions | undefined,
): string {
  const index = path.at(-1);
  if (value === undefined && typeof index === 'number') {
    return applyEdits(text, removeElement(text, path.slice(0, -1), index));
  }
  const raw = modify(text, path, value, {});
  const changed = applyEdits(text, raw);
  const edit = raw[0];
  if (formatting === undefined || raw.length !== 1 || edit === undefined) return changed;
  const start = edit.offset;
  const end = edit.offset + edit.content.length;
  const lineStart = lastEol(changed, start);
  const lineEnd = nextEol(changed, end);
  const edits = format(
    changed,
    { offset: lineStart, length: lineEnd - lineStart },
    { ...formatting, keepLines: false },
  ).filter((e) => e.offset <= end && e.offset + e.length >= start);
  return applyEdits(changed, edits);
}

function lastEol(text: string, offset: number): number {
  let at = offset;
  while (at > 0 && text[at - 1] !== '\n' && text[at - 1] !== '\r') at--;
  return at;
}

function nextEol(text: string, offset: number): number {
  let at = offset;
  while (at < text.length && text[at] !== '\n' && text[at] !== '\r') at++;
  return at;
}

/**
 * The exact inverse of an append: jsonc-parser's own removal of a last array element keeps one
 * character too many (it relies on reformatting), which breaks a file written on one line.
 */
function removeElement(text: string, arrayPath: JSONPath, index: number): Edit[] {
  const array = findNodeAtLocation(
    parseTree(text) ?? { type: 'null', offset: 0, length: 0 },
    arrayPath,
  );
  const items = array?.type === 'array' ? (array.children ?? []) : [];
  const item = items[index];
  if (array === undefined || item === undefined) return [];
  const previous = items[index - 1];
  const next = items[index + 1];
  if (next !== undefined)
    return [{ offset: item.offset, length: next.offset - item.offset, content: '' }];
  if (previous !== undefined) {
    const offset = previous.offset + previous.length;
    return [{ offset, length: item.offset + item.length - offset, content: '' }];
  }
  return [{ offset: array.offset + 1, length: array.length - 2, content: '' }];
}
