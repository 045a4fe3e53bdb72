/**
 * Report schedules: a report (type, format, filters) generated on a cron schedule in the tenant's
 * time zone and emailed to recipients. A write takes two round trips: the tenant's time zone first,
 * because the next run is computed from it in the Worker (croner); then the checks and the write,
 * in one transaction, the write guarded by the checks, so a bad schedule leaves nothing behind.
 */
import { count, desc, eq, sql } from 'drizzle-orm';
import type { UserContext } from '../../context';
import { reportSchedules, type ReportFormat, type ReportType } from '../../db/schema';
import {
  scheduleChecks,
  scheduleGuard,
  type ScheduleChecks,
  type ScheduleFilters,
  type ScheduleTargets,
} from '../../db/statements/report-schedules';
import type { QueryBuilder } from '../../db/tenant-db';
import { Conflict, Invalid, NotFound, type FieldError } from '../../lib/errors';
import type { Pagination } from '../pagination';
import { iso, tenantOf } from '../scope';
import { checkSchedule, nextRunAfter, upcomingRuns, usableTimeZone } from './schedule-times';

export const DEFAULT_PERIOD_DAYS = 7;
/** How many upcoming runs every answer shows. */
export const NEXT_RUNS_SHOWN = 3;
export const MAX_RECIPIENTS = 50;

export interface NewSchedule {
  name: string;
  type: ReportType;
  format: ReportFormat;
  filters?: ScheduleFilters;
  period_days?: number;
  schedule: string;
  recipients: string[];
}

export type ScheduleUpdate = Partial<NewSchedule>;

type ScheduleRow = typeof reportSchedules.$inferSelect;

export function presentSchedule(row: ScheduleRow, timeZone: string) {
  const zone = usableTimeZone(timeZone);
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    format: row.format,
    filters: row.filters,
    period_days: row.periodDays,
    schedule: row.schedule,
    time_zone: zone,
    // A paused schedule runs no more until it is changed; its stored next run is not a promise.
    next_runs: row.pausedReason ? [] : upcomingRuns(row.schedule, zone, new Date(row.nextRunAt), NEXT_RUNS_SHOWN),
    recipients: row.recipients,
    paused_reason: row.pausedReason,
    last_run_at: iso(row.lastRunAt),
    created_by: row.createdBy,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/** Lowercase, each once: an address listed twice is a mistake worth naming. */
function normalizeRecipients(recipients: string[]): string[] {
  const seen = new Map<string, number>();
  const errors: FieldError[] = [];
  const out = recipients.map((r, i) => {
    const address = r.trim().toLowerCase();
    const first = seen.get(address);
    if (first !== undefined) errors.push({ field: `recipients.${i}`, message: `repeats recipients.${first}` });
    else seen.set(address, i);
    return address;
  });
  if (errors.length) throw new Invalid('A recipient is listed twice.', errors);
  return out;
}

/** The reasons a guarded write wrote nothing, from the checks read beside it. */
function refusal(checked: ScheduleChecks, t: ScheduleTargets): Error | null {
  const errors: FieldError[] = [];
  for (const field of ['team_id', 'department_id', 'agent_id', 'criteria_set_id'] as const)
    if (t.filters?.[field] !== undefined && !checked[field])
      errors.push({ field: `filters.${field}`, message: 'does not exist in this tenant' });
  if (t.recipients && !checked.external_allowed) {
    const strangers = new Set(checked.strangers);
    t.recipients.forEach((r, i) => {
      if (strangers.has(r))
        errors.push({
          field: `recipients.${i}`,
          message:
            'is not an active user of this tenant (addresses outside it need the tenant setting reports.allow_external_recipients)',
        });
    });
  }
  if (errors.length) return new Invalid('The schedule names something it cannot use.', errors);
  if (checked.name_taken) return new Conflict('A report schedule with this name already exists.');
  return null;
}

/** The tenant's time zone, the one its analytics days are counted in. */
const tenantTimeZone = (q: QueryBuilder) =>
  q.execute<{ tz: string }>(sql`select analytics_time_zone(current_tenant(), null) as tz`);
const zoneOf = (result: { rows: { tz: string }[] }) => usableTimeZone(result.rows[0]?.tz ?? 'UTC');

function firstRun(expression: string, timeZone: string): string {
  const next = nextRunAfter(expression, timeZone, new Date());
  if (!next) throw new Invalid('The schedule cannot be used.', [{ field: 'schedule', message: 'never runs again' }]);
  return next.toISOString();
}

export async function listSchedules(ctx: UserContext, p: Pagination) {
  tenantOf(ctx);
  const [rows, [counted], zone] = await ctx.db.run((q) => [
    q
      .select()
      .from(reportSchedules)
      .orderBy(desc(reportSchedules.createdAt), desc(reportSchedules.id))
      .limit(p.limit)
      .offset((p.page - 1) * p.limit),
    q.select({ n: count() }).from(reportSchedules),
    tenantTimeZone(q),
  ]);
  const tz = zoneOf(zone);
  return { rows: rows.map((r) => presentSchedule(r, tz)), total: counted?.n ?? 0 };
}

export async function createSchedule(ctx: UserContext, input: NewSchedule) {
  const tenantId = tenantOf(ctx);
  const recipients = normalizeRecipients(input.recipients);
  const [zone] = await ctx.db.run((q) => [tenantTimeZone(q)]);
  const tz = zoneOf(zone);
  const schedule = checkSchedule(input.schedule, tz);
  const targets: ScheduleTargets = { name: input.name, filters: input.filters ?? {}, recipients };
  const [checked, inserted, [row]] = await ctx.db.run((q) => [
    scheduleChecks(q, targets, null),
    q.execute<{ id: string }>(sql`
      insert into ${reportSchedules} (tenant_id, name, type, format, filters, period_days, schedule, recipients,
                                      next_run_at, created_by)
      select ${tenantId}, ${input.name}, ${input.type}, ${input.format}, ${JSON.stringify(targets.filters)}::jsonb,
             ${input.period_days ?? DEFAULT_PERIOD_DAYS}, ${schedule}, ${sql.param(recipients)}::text[],
             ${firstRun(schedule, tz)}::timestamptz, ${ctx.actor.userId}
      where ${scheduleGuard(targets)}
      on conflict (tenant_id, name) do nothing
      returning id`),
    // A later statement of the same transaction: it sees the row just written.
    q.select().from(reportSchedules).where(eq(reportSchedules.name, input.name)),
  ]);
  if (!inserted.rows[0] || !row)
    throw refusal(checked.rows[0]!, targets) ?? new Conflict('A report schedule with this name already exists.');
  return presentSchedule(row, tz);
}

/**
 * Changes the fields given. A new `schedule` moves the next run to its first time from now; new
 * `recipients` also resume a schedule paused because its recipients had left.
 */
export async function updateSchedule(ctx: UserContext, id: string, input: ScheduleUpdate) {
  tenantOf(ctx);
  const recipients = input.recipients ? normalizeRecipients(input.recipients) : undefined;
  const [[existing], zone] = await ctx.db.run((q) => [
    q
      .select({ pausedReason: reportSchedules.pausedReason, schedule: reportSchedules.schedule })
      .from(reportSchedules)
      .where(eq(reportSchedules.id, id)),
    tenantTimeZone(q),
  ]);
  if (!existing) throw new NotFound('Report schedule');
  const tz = zoneOf(zone);
  const schedule = input.schedule !== undefined ? checkSchedule(input.schedule, tz) : undefined;
  const resumes = recipients !== undefined && existing.pausedReason !== null;

  const set: Partial<typeof reportSchedules.$inferInsert> = {};
  if (input.name !== undefined) set.name = input.name;
  if (input.type !== undefined) set.type = input.type;
  if (input.format !== undefined) set.format = input.format;
  if (input.filters !== undefined) set.filters = input.filters;
  if (input.period_days !== undefined) set.periodDays = input.period_days;
  if (schedule !== undefined) set.schedule = schedule;
  if (recipients !== undefined) set.recipients = recipients;
  if (resumes) set.pausedReason = null;
  if (schedule !== undefined || resumes) {
    // A resumed schedule starts from now: the runs it missed while paused are not made up.
    set.nextRunAt = firstRun(schedule ?? existing.schedule, tz);
  }
  const targets: ScheduleTargets = { name: input.name, filters: input.filters, recipients };
  const nameFree =
    input.name === undefined
      ? sql`true`
      : sql`not exists (select 1 from report_schedules s where s.name = ${input.name} and s.id <> ${id}::uuid)`;
  const [checked, [updated]] = await ctx.db.run((q) => [
    scheduleChecks(q, targets, id),
    q
      .update(reportSchedules)
      .set(set)
      .where(sql`${reportSchedules.id} = ${id}::uuid and ${scheduleGuard(targets)} and ${nameFree}`)
      .returning(),
  ]);
  if (!updated) {
    const reason = checked.rows[0] ? refusal(checked.rows[0], targets) : null;
    throw reason ?? new NotFound('Report schedule');
  }
  return presentSchedule(updated, tz);
}

/** The schedule goes; the reports it made stay, no longer naming it. */
export async function deleteSchedule(ctx: UserContext, id: string) {
  tenantOf(ctx);
  const [deleted] = await ctx.db.run((q) => [
    q.delete(reportSchedules).where(eq(reportSchedules.id, id)).returning({ id: reportSchedules.id }),
  ]);
  if (!deleted.length) throw new NotFound('Report schedule');
}
