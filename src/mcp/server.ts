import { access } from 'node:fs/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { DaemonClient } from '../cli/daemon-client.js';
import { readLastLines } from '../cli/log-file.js';
import { isPalError } from '../errors.js';

export interface McpDeps {
  readonly version: string;
  /** Resolved on every call: the daemon may have been restarted, on another port, since. */
  readonly daemon: () => Promise<DaemonClient>;
  /** The daemon's JSON-lines log, read directly so `logs` works while the daemon is down. */
  readonly logFile: string;
  /** Diagnostics; never stdout, which carries the protocol. */
  readonly log: (line: string) => void;
}

const sessionId = z.string().min(1).describe('Session id, as listed by the `sessions` tool.');
const optionalSession = {
  session: sessionId
    .optional()
    .describe('Session id; leave out to act on the whole daemon (every session).'),
};
const DEFAULT_LOG_LINES = 50;

/**
 * The palingenesis MCP server: each tool is one call to the running daemon's HTTP API. A failure
 * (daemon down, unknown session, nothing to pause) is a tool result with `isError`, never a crash.
 */
export function createMcpServer(deps: McpDeps): McpServer {
  const server = new McpServer({ name: 'palingenesis', version: deps.version });
  const forward = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    guarded(deps, async () => json(await (await deps.daemon()).call(method, path, body)));
  const session = (id: string, command: string): string =>
    `/api/v1/sessions/${encodeURIComponent(id)}/${command}`;

  server.registerTool(
    'status',
    {
      description: 'The daemon: state (monitoring, paused, waiting, resuming), version, uptime.',
      annotations: { readOnlyHint: true },
    },
    () => forward('GET', '/api/v1/status'),
  );
  server.registerTool(
    'sessions',
    {
      description:
        'Every watched agent session: state, last stop (reason, reset time), next wake time.',
      annotations: { readOnlyHint: true },
    },
    () => forward('GET', '/api/v1/sessions'),
  );
  server.registerTool(
    'pause',
    {
      description: 'Hold automatic resumes, of one session or of all.',
      inputSchema: optionalSession,
    },
    ({ session: id }) => forward('POST', id === undefined ? '/api/v1/pause' : session(id, 'pause')),
  );
  server.registerTool(
    'resume',
    { description: 'Undo pause, of one session or of all.', inputSchema: optionalSession },
    ({ session: id }) =>
      forward('POST', id === undefined ? '/api/v1/resume' : session(id, 'resume')),
  );
  server.registerTool(
    'wake',
    {
      description: 'Resume a waiting session now instead of at its scheduled time.',
      inputSchema: { session: sessionId },
    },
    ({ session: id }) => forward('POST', session(id, 'wake')),
  );
  server.registerTool(
    'new_session',
    {
      description: 'Replace a session with a fresh one in the same directory, given a handoff.',
      inputSchema: { session: sessionId },
    },
    ({ session: id }) => forward('POST', '/api/v1/new-session', { session: id }),
  );
  server.registerTool(
    'logs',
    {
      description: "The last lines of the daemon's log (JSON lines), oldest first.",
      inputSchema: {
        lines: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .optional()
          .describe(`How many lines (default ${DEFAULT_LOG_LINES}).`),
      },
      annotations: { readOnlyHint: true },
    },
    ({ lines }) =>
      guarded(deps, async () => {
        const present = await access(deps.logFile).then(
          () => true,
          () => false,
        );
        if (!present) {
          return failure(`no log file at ${deps.logFile}: the daemon has not run here yet`);
        }
        const read = await readLastLines(deps.logFile, lines ?? DEFAULT_LOG_LINES);
        return text(read.lines.length === 0 ? '(the log is empty)' : read.lines.join('\n'));
      }),
  );
  return server;
}

async function guarded(deps: McpDeps, run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run();
  } catch (error) {
    if (isPalError(error)) {
      const what = error.code === 'daemon_unreachable' ? 'daemon not reachable' : error.code;
      return failure(`${what}: ${error.message}`);
    }
    deps.log(
      `palingenesis mcp: tool failed: ${error instanceof Error ? (error.stack ?? '') : String(error)}`,
    );
    return failure(`unexpected error: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function json(value: unknown): CallToolResult {
  return text(JSON.stringify(value, null, 2));
}

function text(body: string): CallToolResult {
  return { content: [{ type: 'text', text: body }] };
}

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
