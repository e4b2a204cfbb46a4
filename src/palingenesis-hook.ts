#!/usr/bin/env node
// The command Claude Code runs for each hook: `palingenesis-hook.js claude-code --state-dir DIR`.
// It forwards stdin to the daemon, or spools it. It always exits 0 and never writes to stdout:
// Claude Code reads a hook's stdout (and its exit code) as instructions. Problems: one stderr line.
import { forwardHookPayload } from './hooks/forward.js';

const USAGE = 'usage: palingenesis-hook.js claude-code --state-dir DIR';

async function main(argv: readonly string[]): Promise<void> {
  const [agent, flag, stateDir, ...rest] = argv;
  if (agent !== 'claude-code' || flag !== '--state-dir' || !stateDir || rest.length > 0) {
    process.stderr.write(`palingenesis-hook: ${USAGE}\n`);
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const outcome = await forwardHookPayload(stateDir, agent, Buffer.concat(chunks));
  if (outcome.kind === 'spooled') {
    process.stderr.write(`palingenesis-hook: ${outcome.why}; spooled to ${outcome.file}\n`);
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  const text = error instanceof Error ? error.message : String(error);
  process.stderr.write(`palingenesis-hook: payload lost: ${text.replaceAll('\n', ' ')}\n`);
}
process.exitCode = 0;
