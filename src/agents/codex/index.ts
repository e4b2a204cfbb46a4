import { shellCommand } from '../../cli/shell-quote.js';
import { defineAgent } from '../definition.js';
import { codexSection } from './config.js';

/** OpenAI Codex CLI: its rollout files; resumes with `codex exec resume` or in its tmux pane. */
export const codexAgent = defineAgent({
  kind: 'codex',
  title: 'Codex CLI',
  configKey: 'codex',
  description: 'The OpenAI Codex CLI agent.',
  schema: codexSection,
  enabled: (section) => section.enabled,
  async create(section, deps) {
    const { createCodexInstance } = await import('./instance.js');
    return createCodexInstance(section, deps);
  },
  doctor: async (section, ctx) => [
    await ctx.versionCheck({
      name: 'codex',
      binary: section.binary,
      enabled: section.enabled,
      // Optional: a machine without Codex only has nothing to watch.
      required: false,
      configKey: 'codex',
      install: 'npm install -g @openai/codex',
    }),
  ],
  records: async () => (await import('./records.js')).readCodexRecord,
  mcp: {
    help: 'Run the printed command (`codex mcp add`; it edits ~/.codex/config.toml).',
    snippet: (command, { name }) =>
      `${shellCommand(['codex', 'mcp', 'add', name, '--', ...command])}\n`,
  },
});
