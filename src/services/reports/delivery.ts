/**
 * The `report-deliver` step: a ready scheduled report is emailed, as a link, to the recipients of
 * its schedule who may still have it (active users of the tenant, or anyone when the tenant allows
 * outside addresses). A delivery row per recipient is written before anything is sent; a
 * recipient already sent to is skipped, and every send carries the provider idempotency key
 * `report-<report>-<recipient>`, so a duplicated message, a retry, or a crash between the send
 * and its record all end in one email per recipient. When nobody is left, the schedule is paused
 * with the reason and nothing is sent.
 */
import type { ServiceContext, SystemActor } from '../../context';
import {
  deliveryStatements,
  recordDeliveries,
  REFUSED_PREFIX,
  type DeliveryResult,
} from '../../db/statements/report-schedules';
import { EmailRefused, EmailUnavailable, sendEmail } from '../../integrations/email';
import { MAX_PRESIGN_SECONDS, presignR2 } from '../../integrations/r2-presign';
import { reportEmail } from './report-email';

type DeliverMessage = { tenant_id: string; report_id: string };

/** Sends at once per report: the provider's rate limits are per second, and a run has at most 50 recipients. */
const SEND_CONCURRENCY = 4;

export const idempotencyKeyFor = (reportId: string, recipient: string) => `report-${reportId}-${recipient}`;

export async function deliverReport(ctx: ServiceContext<SystemActor>, msg: DeliverMessage) {
  const log = ctx.log.with({ report_id: msg.report_id });
  const [, paused, planned] = await ctx.db.run((q) => deliveryStatements(q, msg.report_id));
  const plan = planned.rows[0];
  if (paused.rows.length) {
    log.warn('report schedule paused: every recipient has left the tenant', { schedule_id: paused.rows[0]!.id });
    return;
  }
  if (!plan) {
    // Not ready, expired, not scheduled, or its schedule is gone: nothing to send.
    log.info('report delivery skipped: nothing deliverable');
    return;
  }
  if (!plan.unsent.length) return;

  const completedAt = new Date(plan.completed_at);
  const reportExpiresAt = new Date(plan.expires_at);
  // Signed at completion, so every try produces the same link; it lasts as long as the report,
  // at most as long as a presigned URL may.
  const seconds = Math.max(
    1,
    Math.min(MAX_PRESIGN_SECONDS, Math.floor((reportExpiresAt.getTime() - completedAt.getTime()) / 1000)),
  );
  const downloadUrl = await presignR2(ctx.config, 'GET', plan.object_key, seconds, {}, completedAt);
  const content = {
    tenantName: plan.tenant_name,
    scheduleName: plan.schedule_name,
    type: plan.type,
    format: plan.format,
    period: { from: plan.filters.from, to: plan.filters.to },
    timeZone: plan.time_zone,
    rowCount: plan.row_count,
    downloadUrl,
    linkExpiresAt: new Date(completedAt.getTime() + seconds * 1000),
    apiUrl: `${ctx.config.publicUrl}/api/reports/${plan.report_id}/download`,
    reportExpiresAt,
  };

  const results: DeliveryResult[] = [];
  const transient: Error[] = [];
  const queue = [...plan.unsent];
  const sendNext = async (): Promise<void> => {
    for (let to = queue.shift(); to !== undefined; to = queue.shift()) {
      try {
        const outcome = await sendEmail(ctx.config, reportEmail({ to, ...content }), {
          from: ctx.config.email.reportsFrom,
          idempotencyKey: idempotencyKeyFor(plan.report_id, to),
        });
        results.push({ recipient: to, message_id: outcome.kind === 'sent' ? outcome.id : null, error: null });
      } catch (err) {
        if (err instanceof EmailRefused) {
          results.push({ recipient: to, message_id: null, error: `${REFUSED_PREFIX}${err.message}` });
          log.warn('report email refused by the provider', { code: err.code, error: err });
        } else {
          const message = err instanceof EmailUnavailable ? err.message : String(err);
          results.push({ recipient: to, message_id: null, error: message });
          transient.push(err instanceof Error ? err : new Error(message));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, queue.length) }, sendNext));
  await ctx.db.run((q) => [recordDeliveries(q, plan.report_id, results)]);
  const sent = results.filter((r) => r.error === null).length;
  log.info('report emails sent', { sent, failed: results.length - sent });
  // The queue retries the step; what was sent is recorded and is not sent again.
  if (transient.length) throw transient[0];
}
