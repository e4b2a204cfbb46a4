import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { AgentAdapter, HandoffContext, SessionRef } from '../agents/adapter.js';

/** The handoff file in the session's directory when there is one, else a summary of the old session. */
export async function composeHandoff(
  adapter: AgentAdapter,
  ref: SessionRef,
  handoffFile: string,
): Promise<string> {
  const fromFile = await readHandoffFile(ref.directory, handoffFile);
  if (fromFile !== undefined) return fromFile;
  return summarize(await adapter.handoffContext(ref));
}

async function readHandoffFile(
  directory: string | undefined,
  file: string,
): Promise<string | undefined> {
  if (directory === undefined && !isAbsolute(file)) return undefined;
  const path = isAbsolute(file) ? file : join(directory ?? '', file);
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

export function summarize(context: HandoffContext): string {
  const parts: string[] = [];
  if (context.task !== undefined) parts.push(`Original task:\n${context.task}`);
  if (context.todos.length > 0) {
    const lines = context.todos.map(
      (t) => `- [${t.status === 'completed' ? 'x' : ' '}] ${t.content} (${t.status})`,
    );
    parts.push(`Todo list:\n${lines.join('\n')}`);
  }
  if (context.lastAssistantText !== undefined) {
    parts.push(`Last message of the previous session:\n${context.lastAssistantText}`);
  }
  return parts.length > 0
    ? parts.join('\n\n')
    : 'The previous session left no summary; continue the task.';
}

/** Writes the old session's record under the state directory before it is replaced. */
export async function backupSession(
  adapter: AgentAdapter,
  ref: SessionRef,
  dir: string,
  now: number,
): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `${ref.agent}-${ref.sessionId}-${stamp}.json`);
  const record = {
    agent: ref.agent,
    sessionId: ref.sessionId,
    directory: ref.directory,
    exportedAt: new Date(now).toISOString(),
    messages: await adapter.exportSession(ref),
  };
  await writeFile(path, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return path;
}
