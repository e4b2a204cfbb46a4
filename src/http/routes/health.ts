import type { FastifyInstance } from 'fastify';
import type { StoreHealth } from '../../resume/store.js';
import type { DaemonInfo } from '../control.js';

/**
 * `GET /health`: 200 `{status: "ok"}` while the daemon can do its work; 503 `{status: "failing",
 * problem}` while its state file cannot be written (stops are then held in memory only).
 */
export function healthRoutes(
  app: FastifyInstance,
  info: DaemonInfo,
  store?: () => StoreHealth,
): void {
  app.get('/health', (_req, reply) => {
    const health = store?.() ?? { ok: true };
    const common = { version: info.version, uptimeSeconds: info.uptimeSeconds() };
    if (health.ok) return reply.send({ status: 'ok', ...common });
    return reply.code(503).send({
      status: 'failing',
      ...common,
      problem: `the state file cannot be written: ${health.problem}`,
      failingSince: new Date(health.since).toISOString(),
    });
  });
}
