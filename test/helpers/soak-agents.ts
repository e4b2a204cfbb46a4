import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isAlive, readJsonl, startHeadless, type ClaudeHome, type HeadlessRun } from './claude.js';
import type { OpencodeTestClient } from './opencode-client.js';
import { claudeTurns, opencodeTurns, type Turn } from './soak-records.js';
import { taskPrompt } from './soak-llm.js';

export type SoakAgentKind = 'opencode' | 'claude-code';

/** How the soak acts as each agent's user: start a task, read the session's record. */
export interface SoakAgent {
  readonly kind: SoakAgentKind;
  /** The turns so far of the session, from the agent's own record. */
  turns(sessionId: string): Promise<Turn[]>;
  /** A task prompt in a new session (no id) or a settled one; resolves with the session id. */
  startTask(tag: string, sessionId: string | undefined): Promise<string>;
  /** Whether an agent process is still working on the session. */
  working(sessionId: string): Promise<boolean>;
  /** Kills whatever agent processes the soak or the daemon left running (by PID). */
  close(): Promise<void>;
}

/** A user of `opencode serve`: sessions with a title (no title request), prompts sent async. */
export function opencodeUser(client: OpencodeTestClient): SoakAgent {
  return {
    kind: 'opencode',
    turns: async (sessionId) => opencodeTurns(await client.messages(sessionId)),
    async startTask(tag, sessionId) {
      const id = sessionId ?? (await client.createSession(`soak ${tag}`)).id;
      await client.promptAsync(id, taskPrompt(tag));
      return id;
    },
    working: async (sessionId) => (await client.status())[sessionId] !== undefined,
    close: () => Promise.resolve(),
  };
}

const SESSION_ID_TIMEOUT_MS = 30_000;
const liveFile = z.looseObject({ sessionId: z.string() });

/**
 * A user of headless Claude Code (`claude -p`, `--resume` for a session it had before). The
 * daemon's own `claude -p --resume` runs outlive a `kill -9` of the daemon; `sessions/<pid>.json`
 * names every run still alive, the soak's and the daemon's alike.
 */
export function claudeUser(h: ClaudeHome): SoakAgent {
  const runs = new Set<HeadlessRun>();
  const sessionsDir = join(h.configDir, 'sessions');
  const liveRuns = async (): Promise<{ pid: number; sessionId: string }[]> => {
    const names = await readdir(sessionsDir).catch(() => [] as string[]);
    const found = await Promise.all(
      names.map(async (name) => {
        const pid = Number(name.replace(/\.json$/, ''));
        const text = await readFile(join(sessionsDir, name), 'utf8').catch(() => '');
        const parsed = liveFile.safeParse(parseJson(text));
        return parsed.success && isAlive(pid) ? [{ pid, sessionId: parsed.data.sessionId }] : [];
      }),
    );
    return found.flat();
  };
  return {
    kind: 'claude-code',
    turns: async (sessionId) =>
      claudeTurns(await readJsonl(h.transcriptPath(sessionId)).catch(() => [])),
    async startTask(tag, sessionId) {
      const run = startHeadless(h, taskPrompt(tag), {
        ...(sessionId === undefined ? {} : { resume: sessionId }),
        timeoutMs: 120_000,
      });
      runs.add(run);
      run.done.then(
        () => runs.delete(run),
        () => runs.delete(run),
      );
      if (sessionId !== undefined) return sessionId;
      const line = await run.waitForLine(hasSessionId, SESSION_ID_TIMEOUT_MS);
      return z.object({ session_id: z.string() }).loose().parse(line).session_id;
    },
    working: async (sessionId) => (await liveRuns()).some((r) => r.sessionId === sessionId),
    async close() {
      await Promise.all([...runs].map((run) => run.kill9().catch(() => undefined)));
      for (const { pid } of await liveRuns()) process.kill(pid, 'SIGKILL');
    },
  };
}

function hasSessionId(line: unknown): boolean {
  return typeof line === 'object' && line !== null && 'session_id' in line;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
