/**
 * What a report covers. The caller gives an optional date range (the tenant's days; default the
 * last 30 up to today) and optional team, department, agent and criteria set; stored resolved, so
 * a report always says exactly which days it covers.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { NO_AGENT, type ReportFilters } from '../../db/schema';
import { Invalid } from '../../lib/errors';
import { checkRange, DEFAULT_RANGE_DAYS } from '../analytics';

export interface ReportFiltersInput {
  from_date?: string;
  to_date?: string;
  team_id?: string;
  department_id?: string;
  agent_id?: string;
  criteria_set_id?: string;
}

const REFERENCES = [
  { field: 'team_id', table: 'teams' },
  { field: 'department_id', table: 'departments' },
  { field: 'agent_id', table: 'users' },
  { field: 'criteria_set_id', table: 'criteria_sets' },
] as const;

/** One statement: whether each named team, department, agent and criteria set is the tenant's. */
export function referencesFound(input: Omit<ReportFiltersInput, 'from_date' | 'to_date'>): SQL {
  const checks = REFERENCES.map(
    (r) =>
      sql`${input[r.field] ?? null}::uuid is null or exists (select 1 from ${sql.raw(r.table)} x where x.id = ${input[r.field] ?? null}::uuid) as ${sql.raw(r.field)}`,
  );
  return sql`select ${sql.join(checks, sql`, `)}`;
}

/** 422 for every named row that is not the tenant's. */
export function assertReferences(found: Record<string, boolean> | undefined, prefix = 'filters.') {
  const missing = REFERENCES.filter((r) => found && found[r.field] === false);
  if (missing.length)
    throw new Invalid(
      'The filters name rows that do not exist in this tenant.',
      missing.map((r) => ({ field: `${prefix}${r.field}`, message: 'does not exist' })),
    );
}

/** The period resolved in the tenant's time zone, and the named rows checked, in one round trip. */
export async function resolveFilters(ctx: ServiceContext, input: ReportFiltersInput): Promise<ReportFilters> {
  try {
    checkRange(input);
  } catch (err) {
    // The range lives under `filters` in a report request.
    if (err instanceof Invalid)
      throw new Invalid(
        err.message,
        (err.detail?.errors ?? []).map((e) => ({ ...e, field: `filters.${e.field}` })),
      );
    throw err;
  }
  const [period, found] = await ctx.db.run((q) => [
    q.execute<{ f: string; t: string }>(sql`
      select coalesce(${input.from_date ?? null}::date, today - ${DEFAULT_RANGE_DAYS - 1}::int)::text as f,
             coalesce(${input.to_date ?? null}::date, today)::text as t
      from (select analytics_day(current_tenant(), null, now()) as today) d`),
    q.execute<Record<string, boolean>>(referencesFound(input)),
  ]);
  assertReferences(found.rows[0]);
  const { f, t } = period.rows[0]!;
  return {
    from: f,
    to: t,
    ...(input.team_id ? { team_id: input.team_id } : {}),
    ...(input.department_id ? { department_id: input.department_id } : {}),
    ...(input.agent_id ? { agent_id: input.agent_id } : {}),
    ...(input.criteria_set_id ? { criteria_set_id: input.criteria_set_id } : {}),
  };
}

/** The filters as the API shows them. */
export function presentFilters(f: ReportFilters) {
  return {
    from_date: f.from,
    to_date: f.to,
    team_id: f.team_id ?? null,
    department_id: f.department_id ?? null,
    agent_id: f.agent_id ?? null,
    criteria_set_id: f.criteria_set_id ?? null,
  };
}

/** The agents a report's team, department and agent filters leave, as a condition on `column`. */
export function agentFilter(column: SQL, f: ReportFilters): SQL {
  const parts: SQL[] = [];
  if (f.agent_id) parts.push(sql`${column} = ${f.agent_id}::uuid`);
  if (f.team_id) parts.push(sql`${column} in (select u.id from users u where u.team_id = ${f.team_id}::uuid)`);
  if (f.department_id)
    parts.push(sql`${column} in (select u.id from users u where u.department_id = ${f.department_id}::uuid)`);
  // A call without an agent belongs to no team or department.
  if (!parts.length) return sql`true`;
  return sql.join([...parts, sql`${column} <> ${NO_AGENT}::uuid`], sql` and `);
}
