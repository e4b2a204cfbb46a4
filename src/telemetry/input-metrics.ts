import { Counter, type Registry } from 'prom-client';

/** Where a caught failure happened: a bounded set, so the label stays bounded. */
export const ERROR_COMPONENTS = ['process', 'http', 'agent', 'store', 'log', 'resume'] as const;
export type ErrorComponent = (typeof ERROR_COMPONENTS)[number];

/**
 * The series at 0 from the first scrape, so that `rate()` and `increase()` see the first failure
 * of each: the few that matter most, not every pair (the others appear when they first happen).
 */
export const DECLARED_ERRORS: readonly (readonly [ErrorComponent, string])[] = [
  ['process', 'unhandled_rejection'],
  ['process', 'event_listener'],
  ['store', 'state_write'],
  ['store', 'audit_write'],
  ['agent', 'malformed_line'],
  ['resume', 'resume_job'],
];

export interface InputMetrics {
  /** A failure that was caught, logged and survived (`by` of them). `kind` is a short fixed word. */
  error(component: ErrorComponent, kind: string, by?: number): void;
  /**
   * An input (a hook post) that was refused or not believed. `source` is an agent name and
   * `reason` a word from the caller's fixed list (the HTTP layer's, an agent intake's).
   */
  refused(source: string, reason: string): void;
}

/**
 * `palingenesis_errors_total{component,kind}` and `palingenesis_inputs_refused_total{source,
 * reason}`. Both move off the bus (from process handlers, the HTTP layer, agent intakes), so they
 * live in the registry rendered at every scrape. Labels come from fixed sets and agent names.
 */
export function registerInputMetrics(registry: Registry): InputMetrics {
  const errors = new Counter({
    name: 'palingenesis_errors_total',
    help: 'Failures caught, logged and survived, by component and kind.',
    labelNames: ['component', 'kind'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'palingenesis_inputs_refused_total',
    help: 'Inputs (hook posts) refused or not believed, by source and reason.',
    labelNames: ['source', 'reason'],
    registers: [registry],
  });
  for (const [component, kind] of DECLARED_ERRORS) errors.inc({ component, kind }, 0);
  return {
    error: (component, kind, by = 1) => {
      errors.inc({ component, kind }, by);
    },
    refused: (source, reason) => {
      refused.inc({ source, reason });
    },
  };
}
