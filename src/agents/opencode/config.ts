import { z } from 'zod';

/** `[opencode]`: every key, its default and its description. */
export const opencodeSection = z.strictObject({
  enabled: z.boolean().default(true).describe('Watch an opencode server and resume its sessions.'),
  url: z
    .url({ protocol: /^https?$/ })
    .default('http://127.0.0.1:4096')
    .describe(
      'The opencode server to watch (`opencode serve --port 4096`, or `opencode --port 4096`).',
    ),
  username: z
    .string()
    .default('opencode')
    .describe('Basic-auth user when the server sets OPENCODE_SERVER_PASSWORD.'),
  password: z
    .string()
    .default('')
    .describe('Basic-auth password (OPENCODE_SERVER_PASSWORD); empty means no auth. Never shown.'),
  manage: z
    .boolean()
    .default(false)
    .describe(
      'Run `opencode serve` from the daemon and restart it when it dies (then url is ignored).',
    ),
  binary: z
    .string()
    .min(1)
    .default('opencode')
    .describe('The opencode executable, for manage = true.'),
  serve_hostname: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Where a managed server listens.'),
  serve_port: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(4096)
    .describe('Port of a managed server.'),
  directory: z
    .string()
    .default('')
    .describe('Project directory a managed server runs in; empty: where the daemon was started.'),
});

export type OpencodeSection = z.infer<typeof opencodeSection>;
