/**
 * Cron: reports whose queue message never arrived. A report is written first and its message
 * sent after (by POST /api/reports, the schedule claim, or the generator handing a scheduled
 * report to delivery), so a Worker that stops in between leaves a report `queued` that nothing
 * will generate, or a scheduled report `ready` that nobody is emailed. The sweep sends those
 * messages again; both steps are idempotent (generation takes a report only while it is queued or
 * generating, delivery sends once per recipient), so a message that was merely slow does no harm.
 * A report still queued a day after it was asked for is failed with that reason rather than
 * promised forever. Runs as the platform job: the reports policies let it read reports and
 * deliveries, and fail only a report queued that long.
 */
import { sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';

/** How long a message may take before it counts as lost; a queue's own retries start at once. */
export const LOST_AFTER_MINUTES = 10;
/** Reports per sweep and kind. */
const BATCH = 200;

export interface RecoveryResult {
  requeued: number;
  redelivered: number;
  failed: number;
}

export async function recoverLostReports(ctx: ServiceContext): Promise<RecoveryResult> {
  const lost = sql`now() - make_interval(mins => ${LOST_AFTER_MINUTES})`;
  const [queued, undelivered, failed] = await ctx.db.run((q) => [
    q.execute<{ id: string; tenant_id: string }>(sql`
      select id, tenant_id from reports
      where status = 'queued' and created_at <= ${lost} and created_at > now() - interval '1 day'
      order by created_at limit ${BATCH}`),
    // A paused schedule (its recipients all left) has nobody to email: delivery would find no one.
    q.execute<{ id: string; tenant_id: string }>(sql`
      select r.id, r.tenant_id from reports r
      join report_schedules s on s.tenant_id = r.tenant_id and s.id = r.schedule_id and s.paused_reason is null
      where r.status = 'ready' and r.completed_at <= ${lost} and r.completed_at > now() - interval '1 day'
        and not exists (select 1 from report_deliveries d where d.tenant_id = r.tenant_id and d.report_id = r.id)
      order by r.completed_at limit ${BATCH}`),
    q.execute(sql`
      update reports set status = 'failed', completed_at = now(),
        failure_reason = 'generation never started: the report was not taken from the queue within a day'
      where status = 'queued' and created_at <= now() - interval '1 day'`),
  ]);
  for (const r of queued.rows) await ctx.pipeline.send({ step: 'report', tenant_id: r.tenant_id, report_id: r.id });
  for (const r of undelivered.rows)
    await ctx.pipeline.send({ step: 'report-deliver', tenant_id: r.tenant_id, report_id: r.id });
  return { requeued: queued.rows.length, redelivered: undelivered.rows.length, failed: failed.rowCount ?? 0 };
}
