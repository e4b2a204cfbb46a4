import type { StopEvidence } from '../../core/stop-reason.js';
import type { ClaudeStop } from './lines.js';

/**
 * Claude Code's account of a turn, in the shape the pure core judges. Claude Code names its own
 * error (`rate_limit`, `overloaded`, …) and gives the plan reset as `resetsAt` (epoch seconds):
 * both are passed on as structured facts, so `classify` reads the banner text only when they are
 * missing. Crashes are not read from a line: the adapter knows them from a dead process.
 */
export function claudeEvidence(
  line: Extract<ClaudeStop, { kind: 'stop' | 'no_stop' }>,
  options: { agentDied?: boolean } = {},
): StopEvidence {
  if (options.agentDied === true) {
    return { agent: 'claude-code', lastAssistant: { completed: false }, agentRestarted: true };
  }
  if (line.kind === 'no_stop') {
    return {
      agent: 'claude-code',
      lastAssistant: { completed: line.completed, finish: line.completed ? 'stop' : undefined },
    };
  }
  if (line.reason === 'user_exit') {
    return {
      agent: 'claude-code',
      lastAssistant: {
        completed: true,
        finish: 'error',
        error: { name: 'SessionEnd', message: line.text, kind: 'user_exit' },
      },
    };
  }
  return {
    agent: 'claude-code',
    lastAssistant: {
      completed: true,
      finish: 'error',
      error: {
        name: `ClaudeCode:${line.code ?? line.reason}`,
        message: line.text,
        statusCode: line.status,
        // `unknown` is no verdict: the text patterns decide then.
        kind: line.reason === 'unknown' ? undefined : line.reason,
        resetAt: line.resetsAtSeconds === undefined ? undefined : line.resetsAtSeconds * 1000,
      },
    },
  };
}
