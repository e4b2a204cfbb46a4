#!/usr/bin/env node
// The command an agent runs for each hook: `palingenesis-hook.js <agent> --state-dir DIR`, e.g.
// `palingenesis-hook.js claude-code --state-dir ~/.local/state/palingenesis`.
// It forwards stdin to the daemon, or spools it. It always exits 0 and never writes to stdout:
// Claude Code reads a hook's stdout (and its exit code) as instructions. Problems: one stderr line.
import { forwardHookPayload } from './hooks/forward.js';
import { SPOOL_AGENT } from './hooks/spool.js';

const USAGE = 'usage: palingenesis-hook.js AGENT --state-dir DIR';

async function main(argv: readonly string[]): Promise<void> {
  const [agent, flag, stateDir, ...rest] = argv;
  if (
    agent === undefined ||
    !SPOOL_AGENT.test(agent) ||
    flag !== '--state-dir' ||
    !stateDir ||
    rest.length > 0
  ) {
    process.stderr.write(`palingenesis-hook: ${USAGE}\n`);
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const outcome = await forwardHookPayload(stateDir, agent, Buffer.concat(chunks));
  if (outcome.kind === 'spooled') {
    process.stderr.write(`palingenesis-hook: ${outcome.why}; spooled to ${outcome.file}\n`);
  } else if (outcome.kind === 'refused') {
    process.stderr.write(`palingenesis-hook: ${outcome.why}; payload dropped\n`);
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  const text = error instanceof Error ? error.message : String(error);
  process.stderr.write(`palingenesis-hook: payload lost: ${text.replaceAll('\n', ' ')}\n`);
}
process.exitCode = 0;
