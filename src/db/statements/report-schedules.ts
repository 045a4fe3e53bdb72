/**
 * The statements of scheduled reports: what a schedule may name (checked and guarded in the same
 * transaction as its write), the cron trigger's claim of due runs, and a run's deliveries.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { ReportFilters } from '../schema';
import type { QueryBuilder } from '../tenant-db';

/** The filters a schedule keeps: a report's minus the period, which each run resolves. */
export type ScheduleFilters = Omit<ReportFilters, 'from' | 'to'>;

/** Who a report may be emailed to, by the tenant's `reports` settings: anyone, or only its active users. */
export const externalRecipientsAllowed = sql`coalesce((select s."values" -> 'allow_external_recipients' = 'true'::jsonb
  from settings s where s.category = 'reports'), false)`;

/** The addresses of `recipients` (lowercase) that are not an active user of the tenant in context. */
const strangers = (recipients: string[]) => sql`(select coalesce(array_agg(r.address order by r.n), '{}'::text[])
  from unnest(${sql.param(recipients)}::text[]) with ordinality as r(address, n)
  where not exists (select 1 from users u where lower(u.email) = r.address and u.status = 'active'))`;

/** Each filter names a row of the tenant in context (row-level security hides the others). */
const FILTER_TABLES = {
  team_id: sql`teams`,
  department_id: sql`departments`,
  agent_id: sql`users`,
  criteria_set_id: sql`criteria_sets`,
} as const satisfies Record<keyof ScheduleFilters, SQL>;

const filterKnown = (field: keyof ScheduleFilters, id: string | undefined) =>
  id === undefined ? sql`true` : sql`exists (select 1 from ${FILTER_TABLES[field]} x where x.id = ${id}::uuid)`;

export interface ScheduleTargets {
  name?: string;
  filters?: ScheduleFilters;
  recipients?: string[];
}

export type ScheduleChecks = {
  team_id: boolean;
  department_id: boolean;
  agent_id: boolean;
  criteria_set_id: boolean;
  external_allowed: boolean;
  strangers: string[];
  name_taken: boolean;
};

/** What a write depends on, read in the write's own transaction, to explain a write that did not happen. */
export function scheduleChecks(q: QueryBuilder, t: ScheduleTargets, self: string | null) {
  const f = t.filters ?? {};
  return q.execute<ScheduleChecks>(sql`
    select ${filterKnown('team_id', f.team_id)} as team_id,
           ${filterKnown('department_id', f.department_id)} as department_id,
           ${filterKnown('agent_id', f.agent_id)} as agent_id,
           ${filterKnown('criteria_set_id', f.criteria_set_id)} as criteria_set_id,
           ${externalRecipientsAllowed} as external_allowed,
           ${t.recipients ? strangers(t.recipients) : sql`'{}'::text[]`} as strangers,
           ${
             t.name === undefined
               ? sql`false`
               : sql`exists (select 1 from report_schedules s where s.name = ${t.name} and s.id is distinct from ${self}::uuid)`
           } as name_taken`);
}

/** The same conditions as one guard for the write: it writes nothing unless all of them hold. */
export function scheduleGuard(t: ScheduleTargets): SQL {
  const f = t.filters ?? {};
  const recipientsOk = t.recipients
    ? sql`(${externalRecipientsAllowed} or cardinality(${strangers(t.recipients)}) = 0)`
    : sql`true`;
  return sql`${filterKnown('team_id', f.team_id)} and ${filterKnown('department_id', f.department_id)}
    and ${filterKnown('agent_id', f.agent_id)} and ${filterKnown('criteria_set_id', f.criteria_set_id)}
    and ${recipientsOk}`;
}

/** A schedule due to run, as the platform job sees it across tenants. */
export type DueSchedule = {
  tenant_id: string;
  id: string;
  schedule: string;
  period_days: number;
  /** `next_run_at` exactly as stored, for the conditional update. */
  seen: string;
  time_zone: string;
};

/**
 * Due schedules of active tenants, oldest first. A suspended tenant's stay where they are: not
 * run, not moved on, so they resume when the tenant does.
 */
export function dueSchedules(q: QueryBuilder, limit: number) {
  return q.execute<DueSchedule>(sql`
    select s.tenant_id, s.id, s.schedule, s.period_days, s.next_run_at::text as seen,
           analytics_time_zone(s.tenant_id, null) as time_zone
    from report_schedules s
    where s.next_run_at <= now() and s.paused_reason is null
      and s.tenant_id in (select t.id from tenants t where t.status = 'active')
    order by s.next_run_at
    limit ${limit}`);
}

export interface ClaimedRun {
  tenant_id: string;
  id: string;
  /** The run's next time, computed in the tenant's zone. */
  next: string;
  /** The run's period, resolved in the tenant's zone. */
  from: string;
  to: string;
  seen: string;
}

/**
 * One statement for every due run: each schedule moves on only if `next_run_at` is still what was
 * seen (the first trigger to get there wins; a second one updates nothing), and a report is
 * started only for the schedules whose move won. The unique index on (schedule, run) refuses a
 * second report for the same run whatever happens. Answers the reports started.
 */
export function claimRuns(q: QueryBuilder, runs: ClaimedRun[]) {
  return q.execute<{ tenant_id: string; report_id: string }>(sql`
    with due as (
      select * from jsonb_to_recordset(${JSON.stringify(runs)}::jsonb)
        as d(tenant_id text, id uuid, next timestamptz, "from" text, "to" text, seen timestamptz)
    ),
    moved as (
      update report_schedules s set next_run_at = d.next, last_run_at = d.seen
      from due d
      where s.tenant_id = d.tenant_id and s.id = d.id and s.next_run_at = d.seen and s.paused_reason is null
        and s.tenant_id in (select t.id from tenants t where t.status = 'active')
      returning s.tenant_id, s.id, s.type, s.format, s.filters, d.seen, d."from", d."to"
    ),
    started as (
      insert into reports (tenant_id, type, format, filters, status, requested_by, schedule_id, scheduled_for)
      select m.tenant_id, m.type, m.format, m.filters || jsonb_build_object('from', m."from", 'to', m."to"),
             'queued', 'system:scheduler', m.id, m.seen
      from moved m
      on conflict (tenant_id, schedule_id, scheduled_for) where schedule_id is not null do nothing
      returning tenant_id, id
    )
    select tenant_id, id as report_id from started`);
}

/** The addresses of the schedule `scheduleId` a run may still be emailed to (lowercase, once each). */
const keptRecipients = (scheduleId: SQL) => sql`(
  select distinct lower(x.address) as recipient
  from report_schedules ks, unnest(ks.recipients) as x(address)
  where ks.id = ${scheduleId}
    and (${externalRecipientsAllowed}
         or exists (select 1 from users u where lower(u.email) = lower(x.address) and u.status = 'active')))`;

/** The ready, unexpired scheduled report a delivery is for; nothing for any other. */
const deliverable = (reportId: string) =>
  sql`(select r.schedule_id from reports r where r.id = ${reportId}::uuid and r.status = 'ready'
        and r.schedule_id is not null and r.expires_at > now())`;

export const RECIPIENTS_LEFT = 'every recipient has left the tenant';
/** A delivery the provider refused for good; it is not tried again. Others with an error are. */
export const REFUSED_PREFIX = 'refused: ';

/**
 * A run's deliveries, in order, in one transaction: a row for each recipient who may still get it
 * (kept once: a retried message adds none); the schedule paused when nobody is left; then what to
 * send: the report, its schedule and tenant, and the recipients not yet sent to.
 */
export function deliveryStatements(q: QueryBuilder, reportId: string) {
  const scheduleId = deliverable(reportId);
  return [
    q.execute(sql`
      insert into report_deliveries (tenant_id, report_id, recipient)
      select current_tenant(), ${reportId}::uuid, k.recipient from ${keptRecipients(scheduleId)} k
      on conflict do nothing`),
    q.execute<{ id: string }>(sql`
      update report_schedules set paused_reason = ${RECIPIENTS_LEFT}
      where id = ${scheduleId} and paused_reason is null and not exists (select 1 from ${keptRecipients(scheduleId)} k)
      returning id`),
    q.execute<{
      report_id: string;
      type: string;
      format: string;
      filters: ReportFilters;
      object_key: string;
      filename: string | null;
      row_count: number | null;
      completed_at: string;
      expires_at: string;
      scheduled_for: string | null;
      schedule_name: string;
      tenant_name: string;
      time_zone: string;
      unsent: string[];
    }>(sql`
      select r.id as report_id, r.type, r.format, r.filters, r.object_key, r.filename, r.row_count,
             coalesce(r.completed_at, r.updated_at)::text as completed_at, r.expires_at::text, r.scheduled_for::text, s.name as schedule_name,
             t.display_name as tenant_name, analytics_time_zone(r.tenant_id, null) as time_zone,
             coalesce((select array_agg(d.recipient order by d.recipient) from report_deliveries d
                       where d.report_id = r.id and d.sent_at is null
                         and (d.error is null or d.error not like ${REFUSED_PREFIX + '%'})
                         and d.recipient in (select k.recipient from ${keptRecipients(sql`s.id`)} k)), '{}') as unsent
      from reports r
      join report_schedules s on s.id = r.schedule_id
      join tenants t on t.id = r.tenant_id
      where r.id = ${reportId}::uuid and r.schedule_id = ${scheduleId}`),
  ] as const;
}

export interface DeliveryResult {
  recipient: string;
  message_id: string | null;
  /** Null when sent; else why not, prefixed with REFUSED_PREFIX when it will not be tried again. */
  error: string | null;
}

/** Records what the sends did: sent ones get their time and id (once), failed ones their error. */
export function recordDeliveries(q: QueryBuilder, reportId: string, results: DeliveryResult[]) {
  return q.execute(sql`
    update report_deliveries d
    set sent_at = case when x.error is null then now() else d.sent_at end,
        message_id = case when x.error is null then x.message_id else d.message_id end,
        error = x.error
    from jsonb_to_recordset(${JSON.stringify(results)}::jsonb) as x(recipient text, message_id text, error text)
    where d.report_id = ${reportId}::uuid and d.recipient = x.recipient and d.sent_at is null`);
}
