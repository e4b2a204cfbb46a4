import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createWaiters } from './waiters.js';

/**
 * Loopback stand-ins for the notification services. Each checks a request the way the real
 * service documents it (path, headers, JSON shape, limits) and answers the way it does: Discord
 * 204, Slack `ok`, Telegram `{"ok":true,…}`, ntfy the published message. A request that does not
 * fit gets the service's kind of 400 and is kept with its problem, so a test sees why.
 */
export type ServiceKind = 'webhook' | 'ntfy' | 'discord' | 'slack' | 'telegram';

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: unknown;
  /** Why the request does not fit the service's format; undefined when it does. */
  readonly problem: string | undefined;
  /** The status this request was answered with. */
  readonly status: number;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface Receiver {
  readonly url: string;
  /** Every request, in arrival order. */
  readonly received: readonly Received[];
  /** The requests answered as delivered. */
  delivered(): Received[];
  /** Answers the next requests with these (after checking them), then as the service would. */
  failNext(...answers: Answer[]): void;
  /** Answers every request with this until cleared (undefined). */
  failAlways(answer: Answer | undefined): void;
  /** Resolves once `count` requests have been delivered. */
  waitForDelivered(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** webhook: the secret the signature must be made with. */
  readonly secret?: string;
  /** telegram: the bot token the path must carry. */
  readonly botToken?: string;
  /** ntfy: the access token Authorization must carry. */
  readonly token?: string;
}

const webhookBody = z.looseObject({
  id: z.string().regex(/^[0-9a-f]{32}$/),
  event: z.string().min(1),
  at: z.iso.datetime(),
  host: z.string().min(1),
  severity: z.enum(['info', 'success', 'warning', 'error']),
  title: z.string().min(1),
  message: z.string().min(1),
  timezone: z.string().min(1),
});

// https://docs.ntfy.sh/publish/#publish-as-json: `topic` is required; priority 1–5.
const ntfyBody = z.strictObject({
  topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/),
  message: z.string().refine((m) => Buffer.byteLength(m) <= 4096, 'over 4096 bytes'),
  title: z.string().optional(),
  priority: z.number().int().min(1).max(5).optional(),
  tags: z.array(z.string()).optional(),
});

// Execute Webhook: content up to 2000 characters.
const discordBody = z.strictObject({
  content: z.string().min(1).max(2000),
  username: z.string().min(1).max(80).optional(),
  allowed_mentions: z.strictObject({ parse: z.array(z.string()) }).optional(),
});

const slackBody = z.looseObject({ text: z.string().min(1) });

// sendMessage: text 1–4096 characters after entity parsing.
const telegramBody = z.strictObject({
  chat_id: z.union([z.string().min(1), z.number().int()]),
  text: z.string().min(1).max(4096),
  parse_mode: z.enum(['HTML', 'MarkdownV2', 'Markdown']).optional(),
});

export async function startReceiver(
  kind: ServiceKind,
  options: ReceiverOptions = {},
): Promise<Receiver> {
  const received: Received[] = [];
  const queued: Answer[] = [];
  let always: Answer | undefined;
  const waiters = createWaiters<Received>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '';
      let json: unknown;
      try {
        json = JSON.parse(body) as unknown;
      } catch {
        json = undefined;
      }
      const problem =
        req.method !== 'POST'
          ? `method ${req.method ?? '?'}`
          : check(kind, path, req.headers, body, json, options);
      const answer = always ?? queued.shift();
      const status = problem !== undefined ? 400 : (answer?.status ?? success(kind).status);
      received.push({ path, headers: req.headers, body, json, problem, status });
      if (problem !== undefined) reply(res, badRequest(kind, problem));
      else reply(res, answer ?? success(kind));
      waiters.notify(received);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const delivered = (): Received[] =>
    received.filter((r) => r.problem === undefined && r.status >= 200 && r.status < 300);
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    delivered,
    failNext: (...answers) => queued.push(...answers),
    failAlways: (answer) => (always = answer),
    waitForDelivered: (count, timeoutMs = 10_000) =>
      waiters.wait(
        received,
        () => (delivered().length >= count ? delivered() : undefined),
        timeoutMs,
        `${count} ${kind} deliveries; got ${JSON.stringify(received.map((r) => [r.status, r.problem]))}`,
      ),
    close: () =>
      new Promise((resolve) => {
        waiters.rejectAll(new Error('receiver closed'));
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function check(
  kind: ServiceKind,
  path: string,
  headers: IncomingHttpHeaders,
  body: string,
  json: unknown,
  options: ReceiverOptions,
): string | undefined {
  if (!(headers['content-type'] ?? '').startsWith('application/json')) return 'not JSON';
  if (!/^palingenesis\/\S+$/.test(headers['user-agent'] ?? '')) return 'no User-Agent';
  switch (kind) {
    case 'webhook':
      return checkWebhook(headers, body, json, options.secret);
    case 'ntfy': {
      if (path !== '/') return `JSON must be POSTed to the root URL, not ${path}`;
      const auth = options.token === undefined ? undefined : `Bearer ${options.token}`;
      if (headers['authorization'] !== auth) return 'wrong Authorization';
      return issues(ntfyBody, json);
    }
    case 'discord':
      return issues(discordBody, json);
    case 'slack':
      return issues(slackBody, json);
    case 'telegram': {
      if (path !== `/bot${options.botToken ?? ''}/sendMessage`) return `wrong path ${path}`;
      const problem = issues(telegramBody, json);
      if (problem !== undefined) return problem;
      const { text, parse_mode } = telegramBody.parse(json);
      // HTML mode: only the tags Telegram supports, everything else escaped.
      if (parse_mode === 'HTML' && /<(?!\/?(b|i|u|s|code|pre|a)[ >])/.test(text)) {
        return 'unescaped < in HTML text';
      }
      return undefined;
    }
  }
}

function checkWebhook(
  headers: IncomingHttpHeaders,
  body: string,
  json: unknown,
  secret: string | undefined,
): string | undefined {
  const problem = issues(webhookBody, json);
  if (problem !== undefined) return problem;
  const parsed = webhookBody.parse(json);
  if (headers['x-palingenesis-delivery'] !== parsed.id) return 'delivery header differs from id';
  if (headers['x-palingenesis-event'] !== parsed.event) return 'event header differs';
  if (secret === undefined) {
    return headers['x-palingenesis-signature'] === undefined ? undefined : 'unexpected signature';
  }
  // How a receiver verifies: HMAC-SHA256 of the raw body, compared in constant time.
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const got = Buffer.from(String(headers['x-palingenesis-signature'] ?? ''));
  return got.length === expected.length && timingSafeEqual(got, expected)
    ? undefined
    : 'bad signature';
}

function issues(schema: z.ZodType, json: unknown): string | undefined {
  const result = schema.safeParse(json);
  return result.success
    ? undefined
    : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

function success(kind: ServiceKind): Answer {
  switch (kind) {
    case 'discord':
      return { status: 204 };
    case 'slack':
      return { status: 200, headers: { 'content-type': 'text/html' }, body: 'ok' };
    case 'telegram':
      return jsonAnswer(200, {
        ok: true,
        result: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text: 'x' },
      });
    case 'ntfy':
      return jsonAnswer(200, { id: 'abc', time: 1, event: 'message', topic: 't' });
    case 'webhook':
      return { status: 200, body: '' };
  }
}

function badRequest(kind: ServiceKind, problem: string): Answer {
  switch (kind) {
    case 'slack':
      return { status: 400, body: 'invalid_payload' };
    case 'telegram':
      return jsonAnswer(400, {
        ok: false,
        error_code: 400,
        description: `Bad Request: ${problem}`,
      });
    case 'discord':
      return jsonAnswer(400, { message: 'Invalid Form Body', code: 50035 });
    default:
      return jsonAnswer(400, { error: problem });
  }
}

export function jsonAnswer(status: number, value: unknown, headers: Record<string, string> = {}) {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  };
}

function reply(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, answer.headers ?? {});
  res.end(answer.body ?? '');
}
