/**
 * Reports asked for through the API: the request (checked, stored `queued`, and handed to the
 * pipeline queue), the list, one report, and its download. Generation is the `report` queue step
 * (generate.ts); files live in R2 until they expire (expiry.ts).
 */
import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { UserContext } from '../../context';
import { REPORT_TYPES, reports, type ReportFormat, type ReportType } from '../../db/schema';
import { atLeast } from '../../auth/roles';
import { Conflict, Gone, NotFound } from '../../lib/errors';
import type { Pagination } from '../pagination';
import { iso, tenantOf } from '../scope';
import { presentFilters, resolveFilters, type ReportFiltersInput } from './filters';
import { REPORT_TITLES } from './sources';

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
};

/** Report files are kept this many days unless the tenant's `reports.expiry_days` says otherwise. */
export const DEFAULT_EXPIRY_DAYS = 7;

type ReportRow = typeof reports.$inferSelect;

export function presentReport(r: ReportRow) {
  return {
    report_id: r.id,
    type: r.type,
    title: REPORT_TITLES[r.type],
    format: r.format,
    status: r.status,
    failure_reason: r.failureReason,
    filters: presentFilters(r.filters),
    requested_by: r.requestedBy,
    schedule_id: r.scheduleId,
    filename: r.filename,
    size_bytes: r.sizeBytes,
    row_count: r.rowCount,
    download_url: r.status === 'ready' ? `/api/reports/${r.id}/download` : null,
    created_at: iso(r.createdAt),
    completed_at: iso(r.completedAt),
    expires_at: iso(r.expiresAt),
  };
}

/** The report types a role may ask for: managers and above, all of them; agents none. */
export function availableTypes(ctx: UserContext): ReportType[] {
  return atLeast(ctx.actor.role, 'manager') ? [...REPORT_TYPES] : [];
}

export interface ReportListFilter extends Pagination {
  status?: ReportRow['status'];
  type?: ReportType;
}

/** A manager sees the tenant's reports; anyone else (the policies say so too) their own. */
export async function listReports(ctx: UserContext, f: ReportListFilter) {
  tenantOf(ctx);
  const where = and(
    f.status ? eq(reports.status, f.status) : undefined,
    f.type ? eq(reports.type, f.type) : undefined,
    atLeast(ctx.actor.role, 'manager') ? undefined : eq(reports.requestedBy, ctx.actor.userId),
  );
  const [rows, [counted]] = await ctx.db.run((q) => [
    q
      .select()
      .from(reports)
      .where(where)
      .orderBy(desc(reports.createdAt), desc(reports.id))
      .limit(f.limit)
      .offset((f.page - 1) * f.limit),
    q.select({ n: count() }).from(reports).where(where),
  ]);
  return { rows: rows.map(presentReport), total: counted?.n ?? 0 };
}

export interface NewReport {
  type: ReportType;
  format: ReportFormat;
  filters?: ReportFiltersInput;
}

/**
 * Stores the request `queued` and queues its generation. If the queue refuses the message the
 * report is failed with the reason, so nothing waits for a step that never comes.
 */
export async function requestReport(ctx: UserContext, input: NewReport) {
  const tenantId = tenantOf(ctx);
  const filters = await resolveFilters(ctx, input.filters ?? {});
  const [[row]] = await ctx.db.run((q) => [
    q
      .insert(reports)
      .values({ tenantId, type: input.type, format: input.format, filters, requestedBy: ctx.actor.userId })
      .returning(),
  ]);
  try {
    await ctx.pipeline.send({ step: 'report', tenant_id: tenantId, report_id: row!.id });
  } catch (err) {
    await ctx.db.run((q) => [
      q
        .update(reports)
        .set({ status: 'failed', failureReason: 'the report could not be queued for generation' })
        .where(eq(reports.id, row!.id)),
    ]);
    throw err;
  }
  return presentReport(row!);
}

export async function getReport(ctx: UserContext, reportId: string) {
  tenantOf(ctx);
  const [[row]] = await ctx.db.run((q) => [q.select().from(reports).where(eq(reports.id, reportId))]);
  if (!row) throw new NotFound('Report');
  return presentReport(row);
}

/**
 * The stored file, streamed from R2. Not ready: 409 with the status (and reason, if failed);
 * past its expiry, even before the sweep removed it: 410.
 */
export async function openDownload(ctx: UserContext, reportId: string) {
  tenantOf(ctx);
  const [[row]] = await ctx.db.run((q) => [
    q
      .select({ r: reports, expired: sql<boolean>`${reports.expiresAt} <= now()` })
      .from(reports)
      .where(eq(reports.id, reportId)),
  ]);
  if (!row) throw new NotFound('Report');
  const r = row.r;
  if (r.status === 'expired' || (r.status === 'ready' && row.expired))
    throw new Gone(`The report expired at ${iso(r.expiresAt)}; its file was removed. Generate it again.`);
  if (r.status !== 'ready')
    throw new Conflict(
      r.status === 'failed'
        ? `The report failed: ${r.failureReason ?? 'unknown reason'}.`
        : `The report is not ready yet: it is ${r.status}.`,
      { extensions: { report_status: r.status } },
    );
  const object = await ctx.audio.get(r.objectKey!);
  // A ready row whose file is gone can only be an expiry in progress.
  if (!object) throw new Gone('The report file is no longer stored. Generate it again.');
  return { object, filename: r.filename!, contentType: r.contentType! };
}
