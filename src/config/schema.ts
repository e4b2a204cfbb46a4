import { z } from 'zod';

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
});

const otelSection = z.strictObject({
  metrics_enabled: z
    .boolean()
    .default(true)
    .describe('Serve Prometheus metrics at GET /api/v1/metrics. When false nothing is collected.'),
});

export const CONFIG_SECTIONS = [
  { name: 'daemon', description: 'The daemon process.', schema: daemonSection },
  { name: 'http', description: 'The HTTP API.', schema: httpSection },
  { name: 'otel', description: 'Telemetry: Prometheus metrics.', schema: otelSection },
] as const;

export const configSchema = z.strictObject({
  daemon: daemonSection.prefault({}),
  http: httpSection.prefault({}),
  otel: otelSection.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function defaultConfig(): Config {
  return configSchema.parse({});
}
