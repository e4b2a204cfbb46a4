import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../telemetry/metrics.js';

/** Registered only when metrics are enabled; otherwise the path is an ordinary 404 (AC4). */
export function metricsRoutes(app: FastifyInstance, metrics: Metrics): void {
  app.get('/api/v1/metrics', async (_req, reply) => {
    const body = await metrics.render();
    return reply
      .header('content-type', metrics.contentType)
      .header('cache-control', 'no-store')
      .send(body);
  });
}
