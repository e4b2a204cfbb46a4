// The restart soak: stops the built daemon over and over (half SIGTERM, half kill -9), each time
// aimed at a moment when a resume is pending, being sent, being verified or being retried, while
// real opencode and real Claude Code sessions keep meeting rate limits against the fake LLM.
// After every stop the state file must parse and hold one job per session at most, and no job
// may stand for a session already resumed; at the end every session must have been resumed, once
// per stop. Usage: npm run soak [-- --stops 300 --seed 1]. Exits 1 on any violation.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatReport } from '../test/helpers/soak-report.js';
import { runSoak } from '../test/helpers/soak-run.js';

const { values } = parseArgs({
  options: {
    stops: { type: 'string', default: '300' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    opencode: { type: 'string', default: '4' },
    claude: { type: 'string', default: '2' },
    'fault-rate': { type: 'string', default: '0.1' },
    keep: { type: 'boolean', default: false },
  },
});
const count = z.coerce.number().int().min(0);
const stops = count.min(1).parse(values.stops);
const seed = count.parse(values.seed);

console.error(`[soak] seed ${String(seed)}, ${String(stops)} stops`);
const report = await runSoak({
  stops,
  seed,
  concurrent: { opencode: count.parse(values.opencode), 'claude-code': count.parse(values.claude) },
  faultRate: z.coerce.number().min(0).max(1).parse(values['fault-rate']),
  keepHome: values.keep,
  progress: (line) => {
    console.error(line);
  },
});
const text = formatReport(report);
console.log(text);
await mkdir('.bench', { recursive: true });
await writeFile(`.bench/soak-${String(seed)}.txt`, `${text}\n`);
process.exitCode = report.violations.length === 0 ? 0 : 1;
