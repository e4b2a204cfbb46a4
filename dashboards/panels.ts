import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as units from '@grafana/grafana-foundation-sdk/units';

/** Every panel, target and variable queries the data source the user picks in `$datasource`. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** The `job`/`instance` filter every expression carries. */
export const FILTER = 'job=~"$job", instance=~"$instance"';

/** `metric{job=~"$job", instance=~"$instance"}`. */
export function sel(metric: string): string {
  return `${metric}{${FILTER}}`;
}

/**
 * Events happen a few times an hour at most, so per-second rates would read 0.001; the panels show
 * them per hour. Grafana has no per-hour unit, hence a custom suffix.
 */
export const PER_HOUR = 'suffix:/h';

export function perHour(expr: string): string {
  return `3600 * ${expr}`;
}

export interface Query {
  readonly expr: string;
  readonly legend?: string;
}

function targets(queries: readonly Query[], instant: boolean): prometheus.DataqueryBuilder[] {
  return queries.map((q, i) => {
    const target = new prometheus.DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(String.fromCharCode(65 + i))
      .expr(q.expr)
      .legendFormat(q.legend ?? '__auto');
    return instant ? target.instant() : target.range();
  });
}

/** A single value (the last one) in big letters. */
export function statPanel(
  title: string,
  description: string,
  query: Query,
  unit: string,
): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .targets(targets([query], true))
    .unit(unit)
    .decimals(unit === units.Seconds ? 1 : 0)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(
      new dashboard.ThresholdsConfigBuilder()
        .mode(dashboard.ThresholdsMode.Absolute)
        .steps([{ value: null, color: 'green' }]),
    )
    .height(4)
    .span(4);
}

/** Lines over time with a legend that names each series. */
export function timeSeriesPanel(
  title: string,
  description: string,
  queries: readonly Query[],
  unit: string,
): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .targets(targets(queries, false))
    .unit(unit)
    .min(0)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .calcs([]),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
    .height(8)
    .span(12);
}

/** p50, p90 and p99 of a histogram over the rate window, all selected instances together. */
export function quantilePanel(title: string, description: string, histogram: string) {
  const quantile = (q: number): Query => ({
    expr: `histogram_quantile(${q}, sum by (le) (rate(${sel(`${histogram}_bucket`)}[$__rate_interval])))`,
    legend: `p${Math.round(q * 100)}`,
  });
  return timeSeriesPanel(
    title,
    description,
    [quantile(0.5), quantile(0.9), quantile(0.99)],
    units.Seconds,
  ).span(8);
}

const STATES: Record<string, dashboard.ValueMappingResult> = {
  '1': { text: 'monitoring', color: 'green', index: 0 },
  '2': { text: 'paused', color: 'blue', index: 1 },
  '3': { text: 'waiting', color: 'yellow', index: 2 },
  '4': { text: 'resuming', color: 'orange', index: 3 },
};

export function variables(): cog.Builder<dashboard.VariableModel>[] {
  const query = (name: string, label: string, expr: string) =>
    new dashboard.QueryVariableBuilder(name)
      .label(label)
      .datasource(DATASOURCE)
      .query(expr)
      .definition(expr)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue('.*')
      .current({ selected: true, text: ['All'], value: ['$__all'] });
  return [
    new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
    query('job', 'Job', 'label_values(palingenesis_info, job)'),
    query('instance', 'Instance', 'label_values(palingenesis_info{job=~"$job"}, instance)'),
  ];
}

export function statePanel(): statetimeline.PanelBuilder {
  return new statetimeline.PanelBuilder()
    .title('Daemon state')
    .description(
      'monitoring: watching, nothing pending; paused: a user paused it; waiting: a resume is ' +
        'scheduled; resuming: a resume is running. A gap means the daemon was not scraped.',
    )
    .datasource(DATASOURCE)
    .withTarget(
      new prometheus.DataqueryBuilder()
        .datasource(DATASOURCE)
        .refId('A')
        .expr(sel('palingenesis_daemon_state'))
        .legendFormat('{{instance}}')
        .range(),
    )
    .mappings([{ type: dashboard.MappingType.ValueToText, options: STATES }])
    .showValue(common.VisibilityMode.Auto)
    .mergeValues(true)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .rowHeight(0.8)
    .fillOpacity(80)
    .lineWidth(0)
    .height(6)
    .span(24);
}
