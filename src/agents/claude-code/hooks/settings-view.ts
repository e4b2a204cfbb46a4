import { isOurCommand } from '../../../hooks/hook-command.js';
import { parseJson } from '../../../hooks/json-edit.js';
import { CLAUDE_HOOK_EVENTS, type ClaudeHookEvent } from './events.js';

/** PURE: where our hook entries are in a Claude Code settings file (read only). */

interface OurEntry {
  readonly group: number;
  readonly hook: number;
  readonly command: string;
  /** Every hook in the matcher group is ours, so the whole group goes on uninstall. */
  readonly wholeGroup: boolean;
}

interface EventView {
  readonly present: boolean;
  readonly length: number;
  readonly ours: readonly OurEntry[];
}

export interface View {
  readonly ok: true;
  readonly hooksPresent: boolean;
  readonly hooksSize: number;
  readonly events: Readonly<Record<ClaudeHookEvent, EventView>>;
}

export interface Problem {
  readonly ok: false;
  readonly message: string;
  /** 1-based position of a JSON syntax error. */
  readonly line?: number;
  readonly column?: number;
}

/** Reads the file's hooks; a shape we cannot merge into safely is a message, not a guess. */
export function view(text: string): View | Problem {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const { line, column } = parsed;
    return { ok: false, message: `invalid JSON (${parsed.message})`, line, column };
  }
  if (!isRecord(parsed.value)) return { ok: false, message: 'the top level is not a JSON object' };
  const hooks = parsed.value['hooks'];
  if (hooks !== undefined && !isRecord(hooks)) {
    return { ok: false, message: '"hooks" is not a JSON object' };
  }
  const events = {} as Record<ClaudeHookEvent, EventView>;
  for (const event of CLAUDE_HOOK_EVENTS) {
    const groups = hooks?.[event];
    if (groups !== undefined && !Array.isArray(groups)) {
      return { ok: false, message: `"hooks.${event}" is not a JSON array` };
    }
    events[event] = {
      present: groups !== undefined,
      length: groups?.length ?? 0,
      ours: ours(groups),
    };
  }
  return {
    ok: true,
    hooksPresent: hooks !== undefined,
    hooksSize: hooks === undefined ? 0 : Object.keys(hooks).length,
    events,
  };
}

function ours(groups: readonly unknown[] | undefined): OurEntry[] {
  const found: OurEntry[] = [];
  (groups ?? []).forEach((group, g) => {
    const hooks = isRecord(group) ? group['hooks'] : undefined;
    if (!Array.isArray(hooks)) return;
    const wholeGroup = hooks.every((h) => isRecord(h) && isOurCommand(h['command']));
    hooks.forEach((hook: unknown, h) => {
      const command = isRecord(hook) ? hook['command'] : undefined;
      if (isOurCommand(command)) found.push({ group: g, hook: h, command, wholeGroup });
    });
  });
  return found;
}

export interface InstalledEvent {
  readonly event: ClaudeHookEvent;
  /** Our commands on this event (normally one). */
  readonly commands: readonly string[];
}

/** Which events carry a command of ours. */
export function installedHooks(
  text: string,
): { readonly ok: true; readonly events: readonly InstalledEvent[] } | Problem {
  const current = view(text.trim() === '' ? '{}' : text);
  if (!current.ok) return current;
  const events = CLAUDE_HOOK_EVENTS.map((event) => ({
    event,
    commands: current.events[event].ours.map((entry) => entry.command),
  }));
  return { ok: true, events };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
