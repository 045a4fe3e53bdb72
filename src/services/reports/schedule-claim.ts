/**
 * Cron: starts the runs of the report schedules that are due, across tenants, as the platform job.
 * One read finds them (with each tenant's time zone), the Worker computes each one's next run in
 * that zone, and one statement claims them all: a schedule moves on only if it is still where it
 * was seen, and a report is started only for the moves that won (claimRuns). Two triggers at
 * once, or a trigger retried, start one report per run. A run missed entirely (the trigger did not
 * fire for a while) is started once, late, and the schedule moves to its next time from now.
 */
import type { ServiceContext, SystemActor } from '../../context';
import { claimRuns, dueSchedules, type ClaimedRun } from '../../db/statements/report-schedules';
import { nextRunAfter, reportPeriod } from './schedule-times';

/** Due schedules taken per trigger; more wait for the next one, five minutes later. */
export const CLAIM_BATCH = 500;

export interface ClaimResult {
  due: number;
  started: number;
  /** Due schedules whose expression has no run left: left as they are, and logged. */
  exhausted: number;
}

export async function claimDueSchedules(ctx: ServiceContext<SystemActor>): Promise<ClaimResult> {
  const [due] = await ctx.db.run((q) => [dueSchedules(q, CLAIM_BATCH)]);
  const now = new Date();
  const runs: ClaimedRun[] = [];
  let exhausted = 0;
  for (const s of due.rows) {
    const next = nextRunAfter(s.schedule, s.time_zone, now);
    if (!next) {
      exhausted++;
      ctx.log.warn('report schedule has no run left', { tenant: s.tenant_id, schedule_id: s.id });
      continue;
    }
    const period = reportPeriod(new Date(s.seen), s.time_zone, s.period_days);
    runs.push({ tenant_id: s.tenant_id, id: s.id, next: next.toISOString(), ...period, seen: s.seen });
  }
  if (!runs.length) return { due: due.rows.length, started: 0, exhausted };
  const [claimed] = await ctx.db.run((q) => [claimRuns(q, runs)]);
  for (const r of claimed.rows)
    await ctx.pipeline.send({ step: 'report', tenant_id: r.tenant_id, report_id: r.report_id });
  return { due: due.rows.length, started: claimed.rows.length, exhausted };
}
