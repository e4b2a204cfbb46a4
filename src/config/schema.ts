import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { AGENT_LIST, type RegisteredAgent } from '../agents/registry.js';
import { CHANNELS_EXAMPLE, notificationsSection } from './notifications-schema.js';

/**
 * The one schema that holds every configuration key, its type and its default. Sections are
 * declared separately so that `config init` can render each with its description.
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

const daemonSection = z.strictObject({
  log_level: z
    .enum(LOG_LEVELS)
    .default('info')
    .describe(
      'Least severe level written to the log file: trace, debug, info, warn, error, fatal.',
    ),
});

const httpSection = z.strictObject({
  enabled: z.boolean().default(true).describe('Serve the HTTP API (status, control, metrics).'),
  host: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Address to bind. Keep it on loopback unless you know who can reach it.'),
  port: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(7654)
    .describe('TCP port to bind; 0 picks a free one (the ready line tells which).'),
  token: z
    .string()
    .regex(/^[\x21-\x7e]*$/, 'visible ASCII characters only, no spaces')
    .default('')
    .describe(
      'Bearer token control routes require (all but /health and metrics when host is not ' +
        'loopback); empty: none. Never shown.',
    ),
  token_file: z
    .string()
    .refine((path) => path === '' || isAbsolute(path), 'must be an absolute path')
    .default('')
    .describe('Absolute path of a file (mode 0600, yours) holding the token, instead of token.'),
});

/** RFC 9110 token: what an HTTP header name may be. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const otelSection = z.strictObject({
  metrics_enabled: z
    .boolean()
    .default(true)
    .describe('Serve Prometheus metrics at GET /api/v1/metrics. When false nothing is collected.'),
  traces_enabled: z
    .boolean()
    .default(false)
    .describe('Send a trace per stop (detect, decide, wait, resume) over OTLP/HTTP to endpoint.'),
  logs_enabled: z
    .boolean()
    .default(false)
    .describe('Send every log record over OTLP/HTTP to endpoint too (the log file stays).'),
  endpoint: z
    .url({ protocol: /^https?$/ })
    .refine((url) => !/[?#]/.test(url), 'must not have a query or a fragment')
    .default('http://127.0.0.1:4318')
    .describe(
      'OTLP/HTTP base URL (a Collector, Jaeger, Tempo); /v1/traces and /v1/logs are added.',
    ),
  service_name: z
    .string()
    .min(1)
    .default('palingenesis')
    .describe('service.name of the resource the traces and logs carry.'),
  headers: z
    .record(
      z.string().regex(HEADER_NAME, 'not a valid HTTP header name'),
      z.string().regex(/^[\t\x20-\x7e]*$/, 'visible ASCII characters, spaces and tabs only'),
    )
    .default({})
    .describe('Headers sent with every export, e.g. { Authorization = "Bearer …" }. Never shown.'),
});

const resumeSection = z.strictObject({
  continue_prompt: z
    .string()
    .min(1)
    .default('Continue where you left off. The previous turn was interrupted; finish the task.')
    .describe('Sent to the same session when it is resumed.'),
  interrupted_prompt: z
    .string()
    .min(1)
    .default(
      'Your previous turn was interrupted because the agent process stopped. Check what was ' +
        'already done, then continue the task.',
    )
    .describe('Sent instead of continue_prompt after a crash (the agent died mid-turn).'),
  margin_seconds: z
    .number()
    .min(0)
    .max(3600)
    .default(30)
    .describe('Added to every computed wake time, for clock skew with the provider.'),
  backoff_base_seconds: z
    .number()
    .positive()
    .default(60)
    .describe('First wait when the reset time is unknown; doubles per attempt, ±25 % jitter.'),
  backoff_max_seconds: z.number().positive().default(1800).describe('Longest backoff wait.'),
  max_retries: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(5)
    .describe('Automatic attempts for one stop before giving up.'),
  verify_timeout_seconds: z
    .number()
    .positive()
    .default(60)
    .describe('After acting, the session must be busy within this time, or the attempt failed.'),
  handoff_file: z
    .string()
    .min(1)
    .default('Next-step.md')
    .describe('When a context is exhausted, this file in the session directory is the handoff.'),
  new_session_prompt: z
    .string()
    .min(1)
    .default(
      'You are continuing work from a previous session whose context was exhausted. Handoff:',
    )
    .describe('First words of a fresh session; the handoff follows.'),
  backup_before_new: z
    .boolean()
    .default(true)
    .describe('Export the old session to the state directory before starting a new one.'),
});

const metricsSection = z.strictObject({
  manual_restart_time_seconds: z
    .number()
    .min(60)
    .max(1800)
    .default(300)
    .describe('Time a human would lose restarting by hand; counted as saved per resume.'),
});

const KIB = 1024;
const MIB = 1024 * KIB;

/** Caps on what any input can make the daemon keep, in memory or on disk (issue: bounded everything). */
const limitsSection = z.strictObject({
  max_body_bytes: z
    .number()
    .int()
    .min(4 * KIB)
    .max(64 * MIB)
    .default(256 * KIB)
    .describe('Largest HTTP request body accepted (hooks, control); larger ones get 413.'),
  max_event_text_bytes: z
    .number()
    .int()
    .min(256)
    .max(MIB)
    .default(4 * KIB)
    .describe('Longest text (stop message, detail) kept per event; the rest is cut with a note.'),
  event_buffer_bytes: z
    .number()
    .int()
    .min(64 * KIB)
    .max(256 * MIB)
    .default(8 * MIB)
    .describe('Bytes of recent events the live stream keeps for replay (besides its count cap).'),
  hooks_per_second: z
    .number()
    .positive()
    .max(10_000)
    .default(20)
    .describe(
      'Hook posts accepted per second from one source (burst: 10 seconds worth); more: 429.',
    ),
  hook_inbox_bytes: z
    .number()
    .int()
    .min(MIB)
    .max(4096 * MIB)
    .default(64 * MIB)
    .describe(
      'Bytes of accepted hooks kept on disk until handled (at most 1000 files); more: 429.',
    ),
  max_connections: z
    .number()
    .int()
    .min(8)
    .max(65_536)
    .default(256)
    .describe('HTTP connections open at once (event streams included); more are closed at accept.'),
  max_tracked_files: z
    .number()
    .int()
    .min(10)
    .max(1_000_000)
    .default(20_000)
    .describe(
      'Transcript or session files one agent follows at once; the oldest beyond are dropped.',
    ),
  session_horizon_days: z
    .number()
    .positive()
    .max(3650)
    .default(30)
    .describe('Session records with no pending resume and no activity for this long are pruned.'),
  audit_max_bytes: z
    .number()
    .int()
    .min(64 * KIB)
    .max(4096 * MIB)
    .default(16 * MIB)
    .describe('audit.jsonl is rotated to audit.jsonl.1 when it grows past this.'),
  audit_keep_files: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(5)
    .describe('Rotated audit files kept (audit.jsonl.1 … .N); older ones are deleted.'),
});

export const CONFIG_SECTIONS = [
  { name: 'daemon', description: 'The daemon process.', schema: daemonSection },
  { name: 'http', description: 'The HTTP API.', schema: httpSection },
  {
    name: 'otel',
    description: 'Telemetry: Prometheus metrics; OpenTelemetry traces and logs (OTLP/HTTP).',
    schema: otelSection,
  },
  ...AGENT_LIST.map((agent) => ({
    name: agent.configKey,
    description: agent.description,
    schema: agent.schema,
  })),
  {
    name: 'resume',
    description: 'How and when stopped sessions are resumed.',
    schema: resumeSection,
  },
  { name: 'metrics', description: 'Metric estimates.', schema: metricsSection },
  {
    name: 'limits',
    description: 'Caps on memory and disk any input can take (request bodies, events, files).',
    schema: limitsSection,
  },
  {
    name: 'notifications',
    description: 'Notifications: webhook, ntfy, Discord, Slack, Telegram (see the README).',
    schema: notificationsSection,
    example: CHANNELS_EXAMPLE,
  },
] as const;

export const configSchema = z.strictObject({
  daemon: daemonSection.prefault({}),
  http: httpSection.prefault({}),
  otel: otelSection.prefault({}),
  ...agentSections(),
  resume: resumeSection.prefault({}),
  metrics: metricsSection.prefault({}),
  limits: limitsSection.prefault({}),
  notifications: notificationsSection.prefault({}),
});

export type Config = z.infer<typeof configSchema>;

/** One section per registered agent, keyed by its `configKey`, each defaulted when absent. */
type AgentSections = {
  readonly [A in RegisteredAgent as A['configKey']]: z.ZodPrefault<A['schema']>;
};

function agentSections(): AgentSections {
  // The mapped type names what this builds; TypeScript cannot follow Object.fromEntries there.
  return Object.fromEntries(
    AGENT_LIST.map((agent) => [agent.configKey, agent.schema.prefault({})]),
  ) as AgentSections;
}
export type LogLevel = (typeof LOG_LEVELS)[number];

export function defaultConfig(): Config {
  return configSchema.parse({});
}
