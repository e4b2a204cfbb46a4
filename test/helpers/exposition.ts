import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { z } from 'zod';

const sampleSchema = z.object({
  value: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
const familySchema = z.object({
  name: z.string(),
  help: z.string(),
  type: z.string(),
  metrics: z.array(sampleSchema),
});

export type Family = z.infer<typeof familySchema>;

/** Parses an exposition with a third-party text-format parser, for reading values in tests. */
export function parseExposition(body: string): Map<string, Family> {
  const families = z.array(familySchema).parse(parsePrometheusTextFormat(body));
  return new Map(families.map((family) => [family.name, family]));
}

/** The single sample of a family, by name; throws when absent so a test cannot pass vacuously. */
export function sampleOf(
  families: Map<string, Family>,
  name: string,
): { value: number; labels: Record<string, string> } {
  const family = families.get(name);
  if (!family) throw new Error(`metric family ${name} missing from the exposition`);
  const [sample, ...rest] = family.metrics;
  if (!sample || rest.length > 0) throw new Error(`${name}: expected exactly one sample`);
  return { value: Number(sample.value), labels: sample.labels ?? {} };
}
