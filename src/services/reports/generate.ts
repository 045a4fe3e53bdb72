/**
 * The `report` queue step: the report's rows are read page by page, written by the format's
 * writer and streamed into an R2 multipart upload, so memory holds a page and a part, never the
 * file. A failed try records its reason and is retried by the queue; the multipart upload of a
 * failed try is aborted, so no half-written object stays. After the last try the dead-letter
 * consumer marks the report failed with the last reason.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { SystemActor, ServiceContext } from '../../context';
import { reports, type ReportType } from '../../db/schema';
import { renderReport } from '../../reports';
import type { ReportDocument } from '../../reports/document';
import { uploadStream } from '../../reports/r2-upload';
import { DEFAULT_EXPIRY_DAYS } from './reports';
import { reportDocument } from './sources';

type StepContext = ServiceContext<SystemActor>;

/** The tenant's `reports.expiry_days` (1 to 90), else the default, as SQL. */
const expiryDays = sql`coalesce((select case when jsonb_typeof(s."values" -> 'expiry_days') = 'number'
                                           then least(greatest((s."values" ->> 'expiry_days')::numeric, 1), 90)::int end
                                  from settings s where s.category = 'reports'), ${DEFAULT_EXPIRY_DAYS})`;

const FILE_STEMS: Record<ReportType, string> = {
  call_scores: 'call-scores',
  agent_performance: 'agent-performance',
  compliance: 'compliance',
  coaching_progress: 'coaching-progress',
};

/** Counts the rows as the writer pulls them. */
function counted(doc: ReportDocument): { doc: ReportDocument; rows: () => number } {
  let n = 0;
  async function* rows() {
    for await (const page of doc.rows) {
      n += page.length;
      yield page;
    }
  }
  return { doc: { ...doc, rows: rows() }, rows: () => n };
}

export async function generateReport(ctx: StepContext, msg: { tenant_id: string; report_id: string }) {
  // Claimed by conditional update: a report already ready, failed or expired is not made again.
  const [[report], [after]] = await ctx.db.run((q) => [
    q
      .update(reports)
      .set({
        status: 'generating',
        attempts: sql`${reports.attempts} + 1`,
        startedAt: sql`coalesce(${reports.startedAt}, now())`,
      })
      .where(and(eq(reports.id, msg.report_id), inArray(reports.status, ['queued', 'generating'])))
      .returning(),
    q
      .select({ status: reports.status, scheduleId: reports.scheduleId })
      .from(reports)
      .where(eq(reports.id, msg.report_id)),
  ]);
  if (!report) {
    // A try that made the file and stopped before handing it to delivery is retried by the queue,
    // and lands here: hand it over now (delivery sends once per recipient however often it runs).
    if (after?.status === 'ready' && after.scheduleId) await handToDelivery(ctx, msg);
    return;
  }
  const key = objectKey(msg.tenant_id, report.id, report.format);
  const filename = `${FILE_STEMS[report.type]}_${report.filters.from}_${report.filters.to}.${report.format}`;
  let bytes: number;
  let rows: () => number;
  let contentType: string;
  try {
    const source = counted(await reportDocument(ctx, report.type, report.filters));
    rows = source.rows;
    const file = renderReport(source.doc, report.format);
    contentType = file.contentType;
    ({ bytes } = await uploadStream(ctx.audio, key, file.stream, {
      contentType,
      contentDisposition: `attachment; filename="${filename}"`,
    }));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    await ctx.db.run((q) => [
      q
        .update(reports)
        .set({ failureReason: `attempt ${report.attempts}: ${reason}`.slice(0, 500) })
        .where(and(eq(reports.id, report.id), eq(reports.status, 'generating'))),
    ]);
    throw err;
  }
  const [[ready]] = await ctx.db.run((q) => [
    q
      .update(reports)
      .set({
        status: 'ready',
        failureReason: null,
        objectKey: key,
        filename,
        contentType,
        sizeBytes: bytes,
        rowCount: rows(),
        completedAt: sql`now()`,
        expiresAt: sql`now() + make_interval(days => ${expiryDays})`,
      })
      .where(and(eq(reports.id, report.id), eq(reports.status, 'generating')))
      .returning({ scheduleId: reports.scheduleId }),
  ]);
  // Finished by another try meanwhile (a duplicated message): its file is the same, keep one.
  if (!ready) return;
  if (ready.scheduleId) await handToDelivery(ctx, msg);
}

const handToDelivery = (ctx: StepContext, msg: { tenant_id: string; report_id: string }) =>
  ctx.pipeline.send({ step: 'report-deliver', tenant_id: msg.tenant_id, report_id: msg.report_id });

const objectKey = (tenantId: string, reportId: string, format: string) => `reports/${tenantId}/${reportId}.${format}`;

/**
 * After the last try: failed, with the last reason recorded, and any object a try stored before
 * it failed to record it removed.
 */
export async function markReportFailed(ctx: StepContext, tenantId: string, reportId: string, reason: string) {
  const [[failed]] = await ctx.db.run((q) => [
    q
      .update(reports)
      .set({
        status: 'failed',
        failureReason: sql`left(${reason} || coalesce(' (last error: ' || ${reports.failureReason} || ')', ''), 1000)`,
        completedAt: sql`now()`,
      })
      .where(and(eq(reports.id, reportId), inArray(reports.status, ['queued', 'generating'])))
      .returning({ format: reports.format }),
  ]);
  if (failed) await ctx.audio.delete(objectKey(tenantId, reportId, failed.format));
}
