import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { eventually } from './daemon-api.js';

export interface PrometheusServer {
  readonly url: string;
  /** Instant query through the HTTP API; throws on a query error. */
  query(promql: string): Promise<{ labels: Record<string, string>; value: number }[]>;
  stderrTail(): string;
  stop(): Promise<void>;
}

const queryResponse = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('vector'),
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()),
        value: z.tuple([z.number(), z.string()]),
      }),
    ),
  }),
});

/** A free loopback port (never 9090, which may be a real Prometheus). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Starts the real Prometheus binary scraping `target` every second, with temp storage; rule files
 * (absolute paths) are loaded and evaluated every second too.
 */
export async function startPrometheus(
  binary: string,
  target: { host: string; metricsPath: string; job: string },
  options: { ruleFiles?: readonly string[] } = {},
): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'palingenesis-prom-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    ...(options.ruleFiles?.length
      ? ['rule_files:', ...options.ruleFiles.map((f) => `  - '${f}'`)]
      : []),
    'scrape_configs:',
    `  - job_name: ${target.job}`,
    `    metrics_path: ${target.metricsPath}`,
    '    static_configs:',
    `      - targets: ['${target.host}']`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const stderrTail = (): string => err.split('\n').slice(-15).join('\n');

  try {
    await eventually('prometheus to be ready', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited:\n${stderrTail()}`);
      const res = await fetch(`${url}/-/ready`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    stderrTail,
    stop,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body: unknown = await res.json();
      if (res.status !== 200)
        throw new Error(`query ${promql}: ${res.status} ${JSON.stringify(body)}`);
      return queryResponse
        .parse(body)
        .data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
    },
  };
}
