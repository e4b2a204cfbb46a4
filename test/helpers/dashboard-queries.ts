import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const datasourceRef = z.looseObject({ type: z.string().optional(), uid: z.string().optional() });
const target = z.looseObject({
  refId: z.string().optional(),
  expr: z.string().optional(),
  datasource: datasourceRef.optional(),
});
interface Panel {
  readonly id?: number | undefined;
  readonly type: string;
  readonly title?: string | undefined;
  readonly datasource?: z.infer<typeof datasourceRef> | undefined;
  readonly targets?: z.infer<typeof target>[] | undefined;
  readonly fieldConfig?: { defaults?: Record<string, unknown> } | undefined;
  readonly panels?: Panel[] | undefined;
}
const panel: z.ZodType<Panel> = z.looseObject({
  id: z.number().optional(),
  type: z.string(),
  title: z.string().optional(),
  datasource: datasourceRef.optional(),
  targets: z.array(target).optional(),
  fieldConfig: z.looseObject({ defaults: z.record(z.string(), z.unknown()).optional() }).optional(),
  get panels() {
    return z.array(panel).optional();
  },
});
const variable = z.looseObject({
  type: z.string(),
  name: z.string(),
  query: z.unknown().optional(),
  datasource: datasourceRef.optional(),
});
export const dashboardSchema = z.looseObject({
  uid: z.string(),
  title: z.string(),
  schemaVersion: z.number(),
  templating: z.object({ list: z.array(variable) }),
  panels: z.array(panel),
});
export type DashboardJson = z.infer<typeof dashboardSchema>;

export async function readDashboard(path: string): Promise<DashboardJson> {
  return dashboardSchema.parse(JSON.parse(await readFile(path, 'utf8')));
}

/** Every panel, rows' nested panels included (a collapsed row keeps its panels inside). */
export function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

export interface PanelQuery {
  /** `panel title / refId`, for failure messages. */
  readonly where: string;
  readonly expr: string;
}

export function panelQueries(d: DashboardJson): PanelQuery[] {
  return allPanels(d.panels).flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      where: `${p.title ?? p.type} / ${t.refId ?? '?'}`,
      expr: t.expr ?? '',
    })),
  );
}

/** A Prometheus query variable's `label_values(selector, label)`, split into its parts. */
export function labelValuesQuery(query: string): { selector: string; label: string } | undefined {
  const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query.trim());
  return m?.[1] === undefined || m[2] === undefined
    ? undefined
    : { selector: m[1].trim(), label: m[2] };
}

/**
 * Replaces Grafana's variables (`$job`, `${job}`, `$__rate_interval`, …) with concrete values;
 * throws on one it was not given, so no expression reaches Prometheus half substituted.
 */
export function substitute(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`no value for ${whole} in ${expr}`);
    return value;
  });
}
