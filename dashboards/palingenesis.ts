// The classic dashboard JSON model that Grafana imports from a file or grafana.com. The SDK marks
// its builder deprecated in favour of dashboardv2, the resource format of Grafana 12's dynamic
// dashboards, which older Grafana and the import of a JSON file do not read.
/* eslint-disable @typescript-eslint/no-deprecated */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import {
  PER_HOUR,
  perHour,
  quantilePanel,
  sel,
  statePanel,
  statPanel,
  timeSeriesPanel,
  variables,
} from './panels.js';

/** Where the generated dashboard is committed; `npm run dashboard` rewrites it. */
export const DASHBOARD_PATH = fileURLToPath(new URL('./palingenesis.json', import.meta.url));

function overview(d: dashboard.DashboardBuilder): void {
  const increase = (metric: string, range: string) => `sum(increase(${sel(metric)}[${range}]))`;
  d.withRow(new dashboard.RowBuilder('Overview'))
    .withPanel(statePanel())
    .withPanel(
      statPanel(
        'Uptime',
        'Time since the daemon started.',
        { expr: sel('palingenesis_uptime_seconds'), legend: '{{instance}}' },
        units.Seconds,
      ),
    )
    .withPanel(
      statPanel(
        'Saves, 24 h',
        'Verified automatic resumes in the last 24 hours.',
        { expr: increase('palingenesis_saves_total', '24h') },
        units.NoUnit,
      ),
    )
    .withPanel(
      statPanel(
        'Time saved, 24 h',
        'Estimated human time saved in the last 24 hours: each wait plus the manual restart time.',
        { expr: increase('palingenesis_time_saved_seconds_total', '24h') },
        units.Seconds,
      ),
    )
    .withPanel(
      statPanel(
        'Saves, 7 days',
        'Verified automatic resumes in the last 7 days.',
        { expr: increase('palingenesis_saves_total', '7d') },
        units.NoUnit,
      ),
    )
    .withPanel(
      statPanel(
        'Time saved, 7 days',
        'Estimated human time saved in the last 7 days.',
        { expr: increase('palingenesis_time_saved_seconds_total', '7d') },
        units.Seconds,
      ),
    )
    .withPanel(
      statPanel(
        'Resume success rate',
        'Resume attempts verified to have restarted work, over the dashboard time range.',
        {
          expr: `clamp_max(${increase('palingenesis_resumes_success_total', '$__range')} / ${increase('palingenesis_resumes_total', '$__range')}, 1)`,
        },
        units.PercentUnit,
      ).mappings([
        {
          type: dashboard.MappingType.SpecialValue,
          options: {
            match: dashboard.SpecialValueMatch.NullAndNan,
            result: { text: 'no resumes', color: 'text' },
          },
        },
      ]),
    );
}

function resumes(d: dashboard.DashboardBuilder): void {
  const rate = (metric: string, by: string) =>
    perHour(`sum by (${by}) (rate(${sel(metric)}[$__rate_interval]))`);
  d.withRow(new dashboard.RowBuilder('Resumes'))
    .withPanel(
      timeSeriesPanel(
        'Resumes by agent and reason',
        'Resume attempts started, per hour.',
        [
          {
            expr: rate('palingenesis_resumes_total', 'agent, reason'),
            legend: '{{agent}} {{reason}}',
          },
        ],
        PER_HOUR,
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Resume success rate over time',
        'Attempts verified to have restarted work, of all attempts started in the window.',
        [
          {
            expr: `sum(rate(${sel('palingenesis_resumes_success_total')}[$__rate_interval])) / sum(rate(${sel('palingenesis_resumes_total')}[$__rate_interval]))`,
            legend: 'success rate',
          },
        ],
        units.PercentUnit,
      ).max(1),
    )
    .withPanel(
      timeSeriesPanel(
        'Resume failures by type',
        'Failed attempts per hour: not_verified (the session never went busy), agent_unreachable, ' +
          'request_failed, internal. Each is retried with backoff up to max_retries.',
        [
          {
            expr: rate('palingenesis_resumes_failure_total', 'agent, error_type'),
            legend: '{{agent}} {{error_type}}',
          },
        ],
        PER_HOUR,
      ),
    )
    .withPanel(
      timeSeriesPanel(
        'Rate limits and context exhaustions',
        'Stops classified as rate or usage limits and as context exhaustion, and the fresh ' +
          'sessions started with a handoff, per hour.',
        [
          {
            expr: rate('palingenesis_rate_limits_total', 'agent'),
            legend: 'rate limits {{agent}}',
          },
          {
            expr: rate('palingenesis_context_exhaustions_total', 'agent'),
            legend: 'context exhaustions {{agent}}',
          },
          {
            expr: rate('palingenesis_sessions_started_total', 'agent'),
            legend: 'new sessions {{agent}}',
          },
        ],
        PER_HOUR,
      ),
    );
}

function sessions(d: dashboard.DashboardBuilder): void {
  d.withRow(new dashboard.RowBuilder('Sessions'))
    .withPanel(
      timeSeriesPanel(
        'Active and waiting sessions',
        'Tracked sessions working right now, resume jobs waiting for their wake time, and jobs ' +
          'past their first attempt.',
        [
          {
            expr: `sum by (agent) (${sel('palingenesis_active_sessions')})`,
            legend: 'active {{agent}}',
          },
          { expr: `sum(${sel('palingenesis_resumes_pending')})`, legend: 'waiting' },
          { expr: `sum(${sel('palingenesis_retry_attempts')})`, legend: 'retrying' },
        ],
        units.NoUnit,
      ).decimals(0),
    )
    .withPanel(
      timeSeriesPanel(
        'Most overdue resume',
        'How far the most overdue waiting job is past its wake time (0 when none). ' +
          'PalingenesisResumeOverdue fires above 10 minutes.',
        [
          {
            expr: `max by (instance) (${sel('palingenesis_resume_overdue_seconds')})`,
            legend: '{{instance}}',
          },
        ],
        units.Seconds,
      ),
    );
}

function latency(d: dashboard.DashboardBuilder): void {
  d.withRow(new dashboard.RowBuilder('Latency'))
    .withPanel(
      quantilePanel(
        'Detection latency',
        'From the agent recording a stop to palingenesis classifying it.',
        'palingenesis_detection_latency_seconds',
      ),
    )
    .withPanel(
      quantilePanel(
        'Wait duration',
        'From a stop to its resume: mostly the provider’s reset time.',
        'palingenesis_wait_duration_seconds',
      ),
    )
    .withPanel(
      quantilePanel(
        'Resume duration',
        'From starting a resume to the session verified busy.',
        'palingenesis_resume_duration_seconds',
      ),
    );
}

/** The dashboard, built with the Grafana Foundation SDK. Pure: the same object every call. */
export function buildDashboard(): dashboard.Dashboard {
  const d = new dashboard.DashboardBuilder('palingenesis')
    .uid('palingenesis')
    .id(null)
    .description('Stopped AI coding agent sessions, why they stopped, and their resumes.')
    .tags(['palingenesis'])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .annotations([])
    .variables(variables());
  overview(d);
  resumes(d);
  sessions(d);
  latency(d);
  const built = d.build();
  // Grafana wants unique panel ids; the SDK numbers rows only.
  built.panels?.forEach((panel, i) => (panel.id = i + 1));
  return built;
}

/** The dashboard as committed: JSON formatted by the repository's Prettier configuration. */
export async function renderDashboard(): Promise<string> {
  const options = (await resolveConfig(DASHBOARD_PATH)) ?? {};
  return format(JSON.stringify(buildDashboard(), null, 2), {
    ...options,
    filepath: DASHBOARD_PATH,
  });
}
