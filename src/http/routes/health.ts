import type { FastifyInstance } from 'fastify';
import type { DaemonInfo } from '../control.js';

export function healthRoutes(app: FastifyInstance, info: DaemonInfo): void {
  app.get('/health', () => ({
    status: 'ok',
    version: info.version,
    uptimeSeconds: info.uptimeSeconds(),
  }));
}
