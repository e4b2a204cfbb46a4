import type { Command } from 'commander';
import { z } from 'zod';
import { connectDaemon } from './daemon-client.js';
import type { CliContext } from './context.js';
import {
  createPaint,
  formatCountdown,
  formatDuration,
  stdoutWantsColour,
  type Paint,
} from './format.js';

type GlobalOpts = () => { config?: string };

const sessionSchema = z.looseObject({
  agent: z.string(),
  id: z.string(),
  directory: z.string().nullable(),
  title: z.string().nullable(),
  state: z.string(),
  attempts: z.number(),
  paused: z.boolean().optional(),
  lastStop: z
    .looseObject({
      reason: z.string(),
      detail: z.string(),
      at: z.string(),
      resetAt: z.string().nullable(),
    })
    .nullable(),
  nextWakeAt: z.string().nullable(),
});
type SessionJson = z.infer<typeof sessionSchema>;

const statusSchema = z.looseObject({
  state: z.string(),
  version: z.string(),
  commit: z.string(),
  pid: z.number(),
  uptimeSeconds: z.number(),
  totals: z.object({ saves: z.number(), timeSavedSeconds: z.number() }).optional(),
  sessions: z.array(sessionSchema),
});
const sessionsSchema = z.object({ sessions: z.array(sessionSchema) });
const stateSchema = z.looseObject({ state: z.string() });
const oneSession = z.object({ session: sessionSchema });

/**
 * The everyday commands: `status`, `sessions`, `pause`/`resume` (the daemon or one session),
 * `wake`, `cancel`, `new-session`. All go through the daemon's HTTP API.
 */
export function controlCommands(program: Command, ctx: CliContext, globals: GlobalOpts): void {
  const paint = createPaint(stdoutWantsColour());
  const connect = () => connectDaemon(ctx, globals().config);

  program
    .command('status')
    .description(
      'the daemon: state, uptime, saves and time saved, and every session with its next wake',
    )
    .option('--json', 'the API answer, as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { client } = await connect();
      const raw = await client.call('GET', '/api/v1/status');
      if (opts.json === true) {
        ctx.stdout(`${JSON.stringify(raw, null, 2)}\n`);
        return;
      }
      const status = statusSchema.parse(raw);
      const state = paint(status.state === 'paused' ? 'yellow' : 'green', status.state);
      ctx.stdout(
        `palingenesis ${status.version} (${status.commit}) at ${client.url}: ${state}, ` +
          `up ${formatDuration(status.uptimeSeconds * 1000)}, pid ${String(status.pid)}\n`,
      );
      if (status.totals !== undefined) {
        ctx.stdout(
          `saves: ${String(status.totals.saves)}, time saved: ` +
            `${formatDuration(status.totals.timeSavedSeconds * 1000)}\n`,
        );
      }
      ctx.stdout(renderSessions(status.sessions, Date.now(), paint));
    });

  program
    .command('sessions')
    .description('every session the daemon knows: state, last stop, next wake')
    .option('--json', 'the API answer, as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { client } = await connect();
      const raw = await client.call('GET', '/api/v1/sessions');
      if (opts.json === true) {
        ctx.stdout(`${JSON.stringify(raw, null, 2)}\n`);
        return;
      }
      ctx.stdout(renderSessions(sessionsSchema.parse(raw).sessions, Date.now(), paint));
    });

  for (const [name, what] of [
    ['pause', 'hold every resume (nothing is dropped); with --session, only that session’s'],
    ['resume', 'let held resumes fire again; with --session, only that session’s'],
  ] as const) {
    program
      .command(name)
      .description(what)
      .option('--session <id>', 'one session instead of the whole daemon')
      .option('--json', 'the API answer, as JSON')
      .action(async (opts: { session?: string; json?: boolean }) => {
        const { client } = await connect();
        const raw =
          opts.session === undefined
            ? await client.call('POST', `/api/v1/${name}`)
            : await client.call(
                'POST',
                `/api/v1/sessions/${encodeURIComponent(opts.session)}/${name}`,
              );
        if (opts.json === true) {
          ctx.stdout(`${JSON.stringify(raw)}\n`);
          return;
        }
        if (opts.session === undefined) {
          ctx.stdout(`daemon ${stateSchema.parse(raw).state}\n`);
        } else {
          const { session } = oneSession.parse(raw);
          ctx.stdout(`session ${session.id} ${name === 'pause' ? 'paused' : 'resumed'}\n`);
        }
      });
  }

  const sessionCommand = (
    name: string,
    description: string,
    path: (id: string) => [string, unknown],
    done: (s: SessionJson) => string,
  ): void => {
    program
      .command(`${name} <id>`)
      .description(description)
      .option('--json', 'the API answer, as JSON')
      .action(async (id: string, opts: { json?: boolean }) => {
        const { client } = await connect();
        const [target, body] = path(id);
        const raw = await client.call('POST', target, body);
        if (opts.json === true) {
          ctx.stdout(`${JSON.stringify(raw)}\n`);
          return;
        }
        ctx.stdout(`${done(oneSession.parse(raw).session)}\n`);
      });
  };
  sessionCommand(
    'wake',
    'fire the session’s pending resume now instead of at its wake time',
    (id) => [`/api/v1/sessions/${encodeURIComponent(id)}/wake`, undefined],
    (s) => `session ${s.id}: resuming now`,
  );
  sessionCommand(
    'cancel',
    'drop the session’s pending resume; the session is left as it is',
    (id) => [`/api/v1/sessions/${encodeURIComponent(id)}/cancel`, undefined],
    (s) => `session ${s.id}: pending resume cancelled`,
  );
  sessionCommand(
    'new-session',
    'replace the session by a fresh one with a handoff (backup first), now',
    (id) => ['/api/v1/new-session', { session: id }],
    (s) => `session ${s.id}: a new session with a handoff is starting`,
  );
}

/** A table of sessions; the next wake as a countdown in the local zone. */
export function renderSessions(
  sessions: readonly SessionJson[],
  now: number,
  paint: Paint,
): string {
  if (sessions.length === 0) return 'no sessions yet\n';
  const rows = sessions.map((s) => [
    s.agent,
    s.id,
    s.paused === true ? `${s.state} (paused)` : s.state,
    s.lastStop?.reason ?? '-',
    s.nextWakeAt === null ? '-' : `resumes ${formatCountdown(Date.parse(s.nextWakeAt), now)}`,
    s.directory ?? '-',
  ]);
  const header = ['AGENT', 'SESSION', 'STATE', 'LAST STOP', 'NEXT', 'DIRECTORY'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [paint('bold', line(header)), ...rows.map(line)].join('\n') + '\n';
}
