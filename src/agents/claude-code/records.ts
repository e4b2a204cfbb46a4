import type { RecordReading } from '../definition.js';
import { claudeEvidence } from './evidence.js';
import { readClaudeLine } from './lines.js';

/**
 * `classify --agent claude-code`: a transcript line, a `--output-format stream-json` line or a
 * hook payload, read by the same code the adapter uses and turned into the same evidence.
 */
export function readClaudeRecord(value: unknown): RecordReading {
  const line = readClaudeLine(value);
  switch (line.kind) {
    case 'irrelevant':
      return { kind: 'irrelevant' };
    case 'noise':
      return { kind: 'noise' };
    case 'no_stop':
      return { kind: 'no_stop', completed: line.completed, source: `claude:${line.source}` };
    case 'stop':
      return {
        kind: 'stop',
        evidence: claudeEvidence(line),
        source: `claude:${line.source}`,
        text: line.text.trim() === '' ? undefined : line.text.trim(),
      };
  }
}
