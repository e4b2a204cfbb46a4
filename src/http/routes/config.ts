import type { FastifyInstance } from 'fastify';

/** What a reload came to, as the API shows it (the config itself is never sent: it holds secrets). */
export type ReloadAnswer =
  | {
      readonly ok: true;
      readonly applied: readonly string[];
      readonly needsRestart: readonly string[];
    }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * `POST /api/v1/config/reload`: reads the config file again, as SIGHUP does, and answers with
 * the verdict — the keys applied and those that need a restart, or every problem with its key and
 * line (the last good configuration stays). 200 either way: the reload ran; `ok` tells.
 */
export function configRoutes(app: FastifyInstance, reload: () => Promise<ReloadAnswer>): void {
  app.post('/api/v1/config/reload', async (_req, reply) => reply.send(await reload()));
}
