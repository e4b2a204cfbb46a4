import { defineAgent } from '../definition.js';
import { opencodeSection } from './config.js';

/** opencode: its server's event stream and HTTP API (`opencode serve`, or the TUI's `--port`). */
export const opencodeAgent = defineAgent({
  kind: 'opencode',
  title: 'opencode',
  configKey: 'opencode',
  description: 'The opencode agent.',
  schema: opencodeSection,
  enabled: (section) => section.enabled,
  async create(section, deps) {
    const { createOpencodeInstance } = await import('./instance.js');
    return createOpencodeInstance(section, deps);
  },
  doctor: async (section, ctx) => [
    await ctx.versionCheck({
      name: 'opencode',
      binary: section.binary,
      enabled: section.enabled,
      // Only a managed server is started from the binary; otherwise the daemon uses the URL.
      required: section.manage,
      configKey: 'opencode',
      install: 'npm install -g opencode-ai',
    }),
  ],
  records: async () => ({ line: (await import('./records.js')).readOpencodeRecord }),
  mcp: {
    help:
      'Merge the JSON into opencode.json (the project) or ~/.config/opencode/opencode.json\n' +
      '(everywhere).',
    snippet: (command, { name }) => {
      // opencode.json `mcp`: a local server is `type: "local"` with the whole command line as
      // one array; checked against opencode 1.18 (`opencode debug config`).
      const config = {
        $schema: 'https://opencode.ai/config.json',
        mcp: { [name]: { type: 'local', command, enabled: true } },
      };
      return `${JSON.stringify(config, null, 2)}\n`;
    },
  },
});
