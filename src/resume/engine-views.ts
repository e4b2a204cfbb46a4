import { jobKey, type ResumeJob } from '../core/jobs.js';
import type { AgentKind } from '../core/stop-reason.js';
import type { Clock } from '../jobs/clock.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { SessionSnapshot } from '../telemetry/resume-metrics.js';
import type { LiveSessions } from './live-sessions.js';
import type { StateStore } from './store.js';

/** The counts the daemon state, the status and the gauges read: derived, never stored. */
export function createEngineViews(
  store: StateStore,
  scheduler: Scheduler,
  live: LiveSessions,
  agents: readonly AgentKind[],
  clock: Clock,
) {
  // Asked on every observation (the daemon state): O(running jobs), not O(jobs), per call.
  let jobKeysFor: { jobs: readonly ResumeJob[]; keys: Set<string> } | undefined;
  function pendingResumes(): number {
    const { jobs } = store.get();
    if (jobKeysFor?.jobs !== jobs) jobKeysFor = { jobs, keys: new Set(jobs.map(jobKey)) };
    let running = 0;
    for (const key of scheduler.active()) if (jobKeysFor.keys.has(key)) running++;
    return jobs.length - running;
  }

  /** Jobs not being carried out right now: how many, and how late the latest-overdue one is. */
  function waitingJobs(): { pendingResumes: number; overdueSeconds: number } {
    const now = clock.now();
    const waiting = store.get().jobs.filter((j) => !scheduler.active().has(jobKey(j)));
    const late = waiting.reduce((most, j) => Math.max(most, now - j.dueAt), 0);
    return { pendingResumes: waiting.length, overdueSeconds: late / 1000 };
  }

  return {
    pendingResumes,
    activeResumes: () => scheduler.active().size,
    snapshot: (): SessionSnapshot => ({
      activeSessions: Object.fromEntries(agents.map((agent) => [agent, live.busyCount(agent)])),
      retryAttempts: store.get().jobs.filter((j) => j.attempt > 1).length,
      ...waitingJobs(),
      steps: live.currentSteps(),
    }),
  };
}
