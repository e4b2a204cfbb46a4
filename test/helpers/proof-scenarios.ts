import { readFile } from 'node:fs/promises';
import { rateLimitedTurn, lastMessageText } from '../fake-llm/script.js';
import type { RecordedRequest } from '../fake-llm/server.js';
import { daemonMetrics, daemonSessions, eventually, readAudit } from './daemon-api.js';
import type { OpencodeHarness } from './opencode-harness.js';
import type { SpawnedDaemon } from './spawn-daemon.js';

// Real stops of a real `opencode serve` that the built daemon handles, so that every family the
// dashboard reads has moved: a rate limit resumed, a resume that fails and is retried, and a
// context exhaustion answered with a fresh session.

export const CONTINUE = 'PALINGENESIS-CONTINUE: proof.';
export const HANDOFF = 'PALINGENESIS-HANDOFF: proof.';

/** The daemon's [resume] for short tests: no margin, 1–2 s backoff, many quick retries. */
export function proofConfig(opencodeUrl: string): string {
  return [
    '[http]',
    'port = 0',
    '[opencode]',
    `url = "${opencodeUrl}"`,
    '[claude_code]',
    'enabled = false',
    '[resume]',
    `continue_prompt = "${CONTINUE}"`,
    `new_session_prompt = "${HANDOFF}"`,
    'margin_seconds = 0',
    'backoff_base_seconds = 1',
    'backoff_max_seconds = 2',
    'max_retries = 20',
    'verify_timeout_seconds = 15',
    '',
  ].join('\n');
}

const saying =
  (text: string) =>
  (r: RecordedRequest): boolean =>
    r.body !== undefined && lastMessageText(r.body)?.includes(text) === true;

export interface Scenario {
  readonly name: string;
  readonly run: () => Promise<void>;
}

/** The scenarios, in the order they must run (they share the fake LLM's script). */
export function proofScenarios(h: OpencodeHarness, daemon: SpawnedDaemon): readonly Scenario[] {
  /** The sum of a family's samples over all labels. */
  const metric = async (name: string): Promise<number> => {
    const family = (await daemonMetrics(daemon.url)).get(name);
    if (family === undefined) throw new Error(`${name} is not exposed`);
    return family.metrics.reduce((sum, m) => sum + Number(m.value ?? 0), 0);
  };
  const untilMetric = (name: string, atLeast: number) =>
    eventually(`${name} >= ${atLeast}`, 30_000, async () =>
      (await metric(name)) >= atLeast ? true : undefined,
    );
  // A turn still in flight would take the next scenario's scripted answers from the shared fake.
  const untilTurnFinished = (sessionId: string) =>
    eventually(`session ${sessionId} to finish its turn`, 30_000, async () => {
      if ((await h.client.status())[sessionId] !== undefined) return undefined;
      const last = (await h.client.messages(sessionId)).at(-1)?.info;
      return last?.role === 'assistant' && last.time.completed !== undefined ? true : undefined;
    });
  const control = async (action: 'pause' | 'resume'): Promise<void> => {
    const res = await daemon.api(`/api/v1/${action}`, { method: 'POST' });
    if (res.status !== 200) throw new Error(`${action}: ${res.status} ${await res.text()}`);
  };
  /** How often the daemon has logged its event stream to opencode (re)connected. */
  const connects = async (): Promise<number> =>
    (await readFile(daemon.home.state.logFile, 'utf8'))
      .split('\n')
      .filter((line) => line.includes('"msg":"agent connected"')).length;
  const fresh = (): void => {
    h.fake.reset();
    h.fake.setDefault({ kind: 'ok', text: 'Done.' });
  };

  async function rateLimitResumed(): Promise<void> {
    fresh();
    const saves = await metric('palingenesis_saves_total');
    const session = await h.client.createSession('rate limited');
    h.fake.enqueue(...rateLimitedTurn(1));
    await h.client.promptAsync(session.id, 'Work through a rate limit.');
    await h.fake.waitForRequest(saying(CONTINUE), 30_000);
    await untilMetric('palingenesis_saves_total', saves + 1);
    await untilTurnFinished(session.id);
  }

  /**
   * The server dies while a resume is due, so the attempt fails (the prompt cannot be sent);
   * it comes back on the same port and HOME, and a retry with backoff succeeds. The daemon is
   * paused meanwhile, which the state panel shows too.
   */
  async function failedResumeRetried(): Promise<void> {
    fresh();
    const saves = await metric('palingenesis_saves_total');
    const failures = await metric('palingenesis_resumes_failure_total');
    const session = await h.client.createSession('resume fails once');
    h.fake.enqueue(...rateLimitedTurn(2));
    await h.client.promptAsync(session.id, 'Work while the server goes away.');
    await eventually('the resume to be scheduled', 30_000, async () => {
      const found = (await daemonSessions(daemon)).find((s) => s.id === session.id);
      return found?.state === 'waiting' ? true : undefined;
    });
    const connectedBefore = await connects();
    await h.server.kill9();
    await untilMetric('palingenesis_resumes_failure_total', failures + 1);
    // opencode 1.18.33 accepts connections before it answers while it boots, and an attempt
    // sent then waits out the adapter's 15 s request timeout: hold retries until it is healthy.
    await control('pause');
    await h.server.restart();
    // Its busy status only reaches the daemon once the event stream is back (reconnects back
    // off up to 30 s); a resume verified before that would count as not_verified.
    await eventually('the daemon to reconnect to opencode', 30_000, async () =>
      (await connects()) > connectedBefore ? true : undefined,
    );
    await control('resume');
    await h.fake.waitForRequest(saying(CONTINUE), 30_000);
    await untilMetric('palingenesis_saves_total', saves + 1);
    await untilTurnFinished(session.id);
  }

  async function contextExhausted(): Promise<void> {
    fresh();
    const started = await metric('palingenesis_sessions_started_total');
    const session = await h.client.createSession('overflowing');
    h.fake.enqueue({ kind: 'context_overflow' }, { kind: 'context_overflow' });
    await h.client.promptAsync(session.id, 'Refactor everything.');
    await h.fake.waitForRequest(saying(HANDOFF), 30_000);
    await untilMetric('palingenesis_sessions_started_total', started + 1);
    const next = (await readAudit(daemon.home.state.auditFile)).find(
      (e) => e.type === 'session.started' && e.fromSessionId === session.id,
    );
    if (next?.sessionId === undefined) throw new Error('no session.started in the audit log');
    await untilTurnFinished(next.sessionId);
  }

  return [
    { name: 'rate limit resumed', run: rateLimitResumed },
    { name: 'failed resume retried', run: failedResumeRetried },
    { name: 'context exhausted, new session', run: contextExhausted },
  ];
}
