import { join } from 'node:path';
import type { PathEnv } from '../../../config/paths.js';
import { detectFormatting, editJson } from '../../../hooks/json-edit.js';
import { CLAUDE_HOOK_EVENTS, type ClaudeHookEvent } from './events.js';
import { view, type Problem } from './settings-view.js';

/**
 * PURE: Claude Code's settings.json, old text → new text. Our entries are hook commands that contain
 * the marker; everything else in the file is the user's and is never rewritten.
 */

/** Claude Code counts hook timeouts in seconds. The forwarder gives up on the daemon after ~2 s. */
export const HOOK_TIMEOUT_SECONDS = 10;

/** `$CLAUDE_CONFIG_DIR/settings.json`, else `~/.claude/settings.json`. */
export function claudeSettingsPath(pathEnv: PathEnv): string {
  const configDir = pathEnv.env['CLAUDE_CONFIG_DIR'];
  if (configDir !== undefined && configDir !== '') return join(configDir, 'settings.json');
  const home = pathEnv.env['HOME'];
  return join(
    home !== undefined && home !== '' ? home : pathEnv.homeDir,
    '.claude',
    'settings.json',
  );
}

/** Which containers an install created: only those may be removed again, and only when empty. */
export interface CreatedContainers {
  readonly hooksObject: boolean;
  readonly events: readonly ClaudeHookEvent[];
}

export type EventAction = 'added' | 'updated' | 'unchanged' | 'removed' | 'absent';

export type SettingsEdit =
  | {
      readonly ok: true;
      readonly text: string;
      readonly actions: Readonly<Record<ClaudeHookEvent, EventAction>>;
      readonly created: CreatedContainers;
    }
  | Problem;

function hookGroup(event: ClaudeHookEvent, command: string): object {
  const hooks = [{ type: 'command', command, timeout: HOOK_TIMEOUT_SECONDS }];
  // Stop has no matcher in Claude Code; for the others "" matches every reason or error type.
  return event === 'Stop' ? { hooks } : { matcher: '', hooks };
}

/** Adds our command to each event unless ours is there; a different command of ours is updated. */
export function planInstall(oldText: string, command: string): SettingsEdit {
  let text = oldText.trim() === '' ? `{}${oldText.includes('\r\n') ? '\r\n' : '\n'}` : oldText;
  const start = view(text);
  if (!start.ok) return start;
  const formatting = detectFormatting(text);
  const actions = {} as Record<ClaudeHookEvent, EventAction>;
  const createdEvents: ClaudeHookEvent[] = [];
  for (const event of CLAUDE_HOOK_EVENTS) {
    const current = start.events[event];
    const stale = current.ours.filter((entry) => entry.command !== command);
    if (current.ours.length === 0) {
      const group = hookGroup(event, command);
      text = current.present
        ? editJson(text, ['hooks', event, -1], group, formatting)
        : editJson(text, ['hooks', event], [group], formatting);
      if (!current.present) createdEvents.push(event);
      actions[event] = 'added';
    } else if (stale.length > 0) {
      // Appending to one event never moves another event's entries, so these indices hold.
      for (const entry of stale) {
        const path = ['hooks', event, entry.group, 'hooks', entry.hook, 'command'];
        text = editJson(text, path, command, formatting);
      }
      actions[event] = 'updated';
    } else {
      actions[event] = 'unchanged';
    }
  }
  if (!Object.values(actions).some((a) => a !== 'unchanged')) text = oldText;
  return {
    ok: true,
    text,
    actions,
    created: {
      hooksObject: !start.hooksPresent && createdEvents.length > 0,
      events: createdEvents,
    },
  };
}

/** Removes every entry of ours; an event array or `hooks` goes only if we created it and it is empty. */
export function planUninstall(oldText: string, created: CreatedContainers): SettingsEdit {
  const start = view(oldText);
  if (!start.ok) return start;
  const formatting = detectFormatting(oldText);
  let text = oldText;
  const actions = {} as Record<ClaudeHookEvent, EventAction>;
  for (const event of CLAUDE_HOOK_EVENTS) {
    const found = start.events[event].ours;
    // Last first, so the indices of the entries still to remove stay valid.
    for (const entry of [...found].reverse()) {
      const path = entry.wholeGroup
        ? ['hooks', event, entry.group]
        : ['hooks', event, entry.group, 'hooks', entry.hook];
      if (entry.wholeGroup && entry.hook > 0) continue; // the group went with its first hook
      text = editJson(text, path, undefined, formatting);
    }
    actions[event] = found.length > 0 ? 'removed' : 'absent';
    const after = view(text);
    if (after.ok && created.events.includes(event) && after.events[event].present) {
      if (after.events[event].length === 0)
        text = editJson(text, ['hooks', event], undefined, formatting);
    }
  }
  const end = view(text);
  if (created.hooksObject && end.ok && end.hooksPresent && end.hooksSize === 0) {
    text = editJson(text, ['hooks'], undefined, formatting);
  }
  return { ok: true, text, actions, created };
}
