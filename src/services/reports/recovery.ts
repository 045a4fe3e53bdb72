/**
 * Cron: reports whose generation message never arrived. A report is written first and its message
 * sent after (by POST /api/reports or the schedule claim), so a Worker that stops in between
 * leaves a report `queued` that nothing will generate. The sweep sends the message again;
 * generation takes a report only while it is queued or generating, so a message that was merely
 * slow does no harm. A report still queued a day after it was asked for is failed with that
 * reason rather than promised forever. (A scheduled report made but not handed to delivery is the
 * generation step's own retry: see generate.ts.) Runs as the platform job, which the reports
 * policies let read reports and fail only one queued that long.
 */
import { sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';

/** How long a message may take before it counts as lost; a queue delivers within seconds. */
export const LOST_AFTER_MINUTES = 10;
/** Reports per sweep. */
const BATCH = 200;

export async function recoverLostReports(ctx: ServiceContext): Promise<{ requeued: number; failed: number }> {
  const [queued, failed] = await ctx.db.run((q) => [
    q.execute<{ id: string; tenant_id: string }>(sql`
      select id, tenant_id from reports
      where status = 'queued' and created_at <= now() - make_interval(mins => ${LOST_AFTER_MINUTES})
        and created_at > now() - interval '1 day'
      order by created_at limit ${BATCH}`),
    q.execute(sql`
      update reports set status = 'failed', completed_at = now(),
        failure_reason = 'generation never started: the report was not taken from the queue within a day'
      where status = 'queued' and created_at <= now() - interval '1 day'`),
  ]);
  for (const r of queued.rows) await ctx.pipeline.send({ step: 'report', tenant_id: r.tenant_id, report_id: r.id });
  return { requeued: queued.rows.length, failed: failed.rowCount ?? 0 };
}
