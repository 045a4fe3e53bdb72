/**
 * Analytics read the daily rollups (analytics_daily, analytics_daily_criteria) and nothing else of
 * the calls, so a request costs days × agents rows whatever the number of calls. Days are the
 * tenant's days as stored (see analytics_day() in migrations/0014): ranges compare plain dates.
 * Every request is one round trip; agents are held to their own rows by the tables' policies too.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { UserContext } from '../context';
import { NO_AGENT } from '../db/schema';
import { noAgent } from '../db/statements/analytics';
import { Invalid } from '../lib/errors';
import { tenantOf } from './scope';

/** The longest range a request may cover, inclusive of both ends. */
export const MAX_RANGE_DAYS = 731;
export const DEFAULT_RANGE_DAYS = 30;
export const TREND_METRICS = ['volume', 'average_score', 'pass_rate', 'compliance_rate', 'auto_fail_rate'] as const;
export type TrendMetric = (typeof TREND_METRICS)[number] | `criterion:${string}`;
export const TREND_PERIODS = ['day', 'week', 'month'] as const;
export const TREND_GROUPS = ['none', 'agent', 'team', 'department'] as const;
/** Trend buckets shown when no range is given: 30 days, 12 weeks or 12 months back from today. */
const DEFAULT_TREND_SPAN = { day: '29 days', week: '11 weeks', month: '11 months' } as const;
export const PERFORMANCE_PERIODS = { week: 7, month: 30, quarter: 90 } as const;

export interface DateRange {
  from_date?: string;
  to_date?: string;
}

const DAY_MS = 86_400_000;
const dayNumber = (d: string) => Date.parse(`${d}T00:00:00Z`) / DAY_MS;

/** Both ends or neither; from ≤ to; at most MAX_RANGE_DAYS. Each problem names its field. */
export function checkRange(r: DateRange) {
  if (!!r.from_date !== !!r.to_date) {
    const missing = r.from_date ? 'to_date' : 'from_date';
    throw new Invalid('A range needs both ends.', [
      { field: missing, message: 'is required with ' + (r.from_date ? 'from_date' : 'to_date') },
    ]);
  }
  if (!r.from_date || !r.to_date) return;
  const span = dayNumber(r.to_date) - dayNumber(r.from_date) + 1;
  if (span < 1)
    throw new Invalid('from_date is after to_date.', [{ field: 'from_date', message: 'must not be after to_date' }]);
  if (span > MAX_RANGE_DAYS)
    throw new Invalid('The range is too long.', [
      { field: 'to_date', message: `must be at most ${MAX_RANGE_DAYS} days (2 years) after from_date` },
    ]);
}

/**
 * `bounds(f, t, pf, pt)`: the range asked for (default: the last `defaultDays` days up to the
 * tenant's today) and the previous range of the same length, just before it. Materialized: inlined
 * into a join, the planner would evaluate the time-zone lookup once per rollup row.
 */
export function bounds(r: DateRange, defaultDays: number): SQL {
  return sql`bounds as materialized (
      select f, t, (f - (t - f + 1)) as pf, (f - 1) as pt from (
        select coalesce(${r.from_date ?? null}::date, today - ${defaultDays - 1}::int) as f,
               coalesce(${r.to_date ?? null}::date, today) as t
        from (select analytics_day(current_tenant(), null, now()) as today) d) x
    )`;
}

/** The rollup rows a request may read: an agent's, a team's agents', or all. */
function agentScope(alias: string, agentId: string | undefined, teamId: string | undefined): SQL {
  const col = sql.raw(`${alias}.agent_id`);
  if (agentId) return sql`${col} = ${agentId}::uuid`;
  if (teamId) return sql`${col} in (select u.id from users u where u.team_id = ${teamId}::uuid)`;
  return sql`true`;
}

const teamExists = (teamId: string) => sql`select exists (select 1 from teams where id = ${teamId}::uuid) as found`;

function unknownTeam(): never {
  throw new Invalid('No such team in this tenant.', [{ field: 'team_id', message: 'does not exist' }]);
}

type Num = number | null;
export const ratio = (num: number, den: number, digits = 3): Num =>
  den > 0 ? Math.round((num / den) * 10 ** digits) / 10 ** digits : null;
export const pct = (points: number, max: number): Num => (max > 0 ? Math.round((points / max) * 1000) / 10 : null);
export const mean = (sum: number, n: number): Num => (n > 0 ? Math.round((sum / n) * 10) / 10 : null);

export type DailySums = {
  received: number;
  scored: number;
  failed: number;
  score_sum: number;
  passed: number;
  auto_failed: number;
  compliant: number;
  positive: number;
  neutral: number;
  negative: number;
};

export const DAILY_SUMS =
  sql.raw(`coalesce(sum(d.received), 0)::int as received, coalesce(sum(d.scored), 0)::int as scored,
  coalesce(sum(d.failed), 0)::int as failed, coalesce(sum(d.score_sum), 0)::float8 as score_sum,
  coalesce(sum(d.passed), 0)::int as passed, coalesce(sum(d.auto_failed), 0)::int as auto_failed,
  coalesce(sum(d.compliant), 0)::int as compliant, coalesce(sum(d.sentiment_positive), 0)::int as positive,
  coalesce(sum(d.sentiment_neutral), 0)::int as neutral, coalesce(sum(d.sentiment_negative), 0)::int as negative`);

function figures(s: DailySums) {
  return {
    calls_received: s.received,
    calls_scored: s.scored,
    calls_failed: s.failed,
    average_score: mean(s.score_sum, s.scored),
    pass_rate: ratio(s.passed, s.scored),
    auto_fail_rate: ratio(s.auto_failed, s.scored),
    compliance_rate: ratio(s.compliant, s.scored),
    sentiment: { positive: s.positive, neutral: s.neutral, negative: s.negative },
  };
}

export interface SummaryInput extends DateRange {
  agent_id?: string;
  team_id?: string;
}

/** The requirements listed in a summary, most violated first. */
const MAX_REQUIREMENTS = 20;

/** The summary of a range beside the previous range of the same length. */
export async function summary(ctx: UserContext, input: SummaryInput) {
  tenantOf(ctx);
  checkRange(input);
  // An agent reads its own figures, whatever it asks for.
  const self = ctx.actor.role === 'agent';
  const agentId = self ? ctx.actor.userId : input.agent_id;
  const teamId = self ? undefined : input.team_id;
  const scope = agentScope('d', agentId, teamId);
  const [team, totals, criteria, requirements] = await ctx.db.run((q) => [
    q.execute<{ found: boolean }>(teamId ? teamExists(teamId) : sql`select true as found`),
    q.execute<DailySums & { period: string; f: string; t: string }>(sql`
      with ${bounds(input, DEFAULT_RANGE_DAYS)},
      periods as (
        select 'current' as period, f, t from bounds union all select 'previous', pf, pt from bounds
      )
      select p.period, p.f::text as f, p.t::text as t, ${DAILY_SUMS}
      from periods p left join analytics_daily d on d.day between p.f and p.t and ${scope}
      group by p.period, p.f, p.t`),
    q.execute<{
      criterion_id: string;
      name: string;
      n: number;
      points: number;
      max_points: number;
      passed: number;
      prev_n: number | null;
      prev_points: number | null;
      prev_max: number | null;
    }>(sql`
      with ${bounds(input, DEFAULT_RANGE_DAYS)},
      cur as (
        select d.criterion_id, max(d.criterion_name) as name, sum(d.n)::int as n, sum(d.points)::float8 as points,
               sum(d.max_points)::float8 as max_points, sum(d.passed)::int as passed
        from analytics_daily_criteria d, bounds b
        where d.day between b.f and b.t and ${scope}
        group by d.criterion_id having sum(d.n) > 0
      ),
      lowest as (select * from cur order by points / nullif(max_points, 0), criterion_id limit 5),
      prev as (
        select d.criterion_id, sum(d.n)::int as n, sum(d.points)::float8 as points, sum(d.max_points)::float8 as max_points
        from analytics_daily_criteria d, bounds b
        where d.day between b.pf and b.pt and d.criterion_id in (select criterion_id from lowest) and ${scope}
        group by d.criterion_id
      )
      select l.*, p.n as prev_n, p.points as prev_points, p.max_points as prev_max
      from lowest l left join prev p on p.criterion_id = l.criterion_id
      order by l.points / nullif(l.max_points, 0), l.criterion_id`),
    q.execute<{
      requirement_id: string;
      requirement: string;
      severity: string | null;
      checked: number;
      violations: number;
      prev_violations: number;
    }>(sql`
      with ${bounds(input, DEFAULT_RANGE_DAYS)}
      select d.requirement_id, max(d.requirement) as requirement, max(d.severity) as severity,
             sum(d.checked) filter (where d.day between b.f and b.t)::int as checked,
             coalesce(sum(d.violations) filter (where d.day between b.f and b.t), 0)::int as violations,
             coalesce(sum(d.violations) filter (where d.day between b.pf and b.pt), 0)::int as prev_violations
      from analytics_daily_requirements d, bounds b
      where d.day between b.pf and b.t and ${scope}
      group by d.requirement_id
      having sum(d.checked) filter (where d.day between b.f and b.t) > 0
      order by violations desc, requirement_id
      limit ${sql.raw(String(MAX_REQUIREMENTS))}`),
  ]);
  if (!team.rows[0]?.found) unknownTeam();
  const byPeriod = new Map(totals.rows.map((r) => [r.period, r]));
  const cur = byPeriod.get('current')!;
  const prev = byPeriod.get('previous')!;
  return {
    from_date: cur.f,
    to_date: cur.t,
    agent_id: agentId ?? null,
    team_id: teamId ?? null,
    previous_period: { from_date: prev.f, to_date: prev.t },
    current: figures(cur),
    previous: figures(prev),
    lowest_criteria: criteria.rows.map((c) => ({
      criterion_id: c.criterion_id,
      name: c.name,
      pct: pct(c.points, c.max_points)!,
      results: c.n,
      pass_rate: ratio(c.passed, c.n),
      previous_pct: c.prev_max ? pct(c.prev_points ?? 0, c.prev_max) : null,
      previous_results: c.prev_n ?? 0,
    })),
    violations_by_requirement: requirements.rows.map((r) => ({
      requirement_id: r.requirement_id,
      requirement: r.requirement,
      severity: r.severity,
      checked: r.checked,
      violations: r.violations,
      violation_rate: ratio(r.violations, r.checked),
      previous_violations: r.prev_violations,
    })),
  };
}

export interface TrendsInput extends DateRange {
  metric: TrendMetric;
  period: (typeof TREND_PERIODS)[number];
  group_by: (typeof TREND_GROUPS)[number];
  agent_id?: string;
  team_id?: string;
}

/** A metric per bucket (day, ISO week from Monday, month), every bucket present, per group. */
export async function trends(ctx: UserContext, input: TrendsInput) {
  tenantOf(ctx);
  checkRange(input);
  const criterionId = input.metric.startsWith('criterion:') ? input.metric.slice('criterion:'.length) : null;
  if (criterionId === '')
    throw new Invalid('No criterion named.', [{ field: 'metric', message: 'criterion:<id> needs an id' }]);
  const unit = sql.raw(`'${input.period}'`);
  const span = sql.raw(`'${DEFAULT_TREND_SPAN[input.period]}'`);
  const range = sql`bounds as materialized (
      select f, t from (
        select coalesce(${input.from_date ?? null}::date, (date_trunc(${unit}, today::timestamp) - interval ${span})::date) as f,
               coalesce(${input.to_date ?? null}::date, today) as t
        from (select analytics_day(current_tenant(), null, now()) as today) d) x
    )`;
  const key =
    input.group_by === 'agent'
      ? sql`nullif(d.agent_id, ${noAgent})::text`
      : input.group_by === 'team'
        ? sql`u.team_id::text`
        : input.group_by === 'department'
          ? sql`u.department_id::text`
          : sql`null::text`;
  const sums = criterionId
    ? sql`sum(d.points)::float8 as num, sum(d.max_points)::float8 as den, sum(d.n)::int as n`
    : input.metric === 'volume'
      ? sql`sum(d.received)::float8 as num, sum(d.received)::float8 as den, sum(d.received)::int as n`
      : input.metric === 'average_score'
        ? sql`sum(d.score_sum)::float8 as num, sum(d.scored)::float8 as den, sum(d.scored)::int as n`
        : sql`sum(${sql.raw(
            { pass_rate: 'd.passed', compliance_rate: 'd.compliant', auto_fail_rate: 'd.auto_failed' }[
              input.metric as 'pass_rate'
            ],
          )})::float8 as num, sum(d.scored)::float8 as den, sum(d.scored)::int as n`;
  const source = criterionId ? sql`analytics_daily_criteria d` : sql`analytics_daily d`;
  const onlyCriterion = criterionId ? sql`and d.criterion_id = ${criterionId}` : sql``;
  const scope = agentScope('d', input.agent_id, input.team_id);
  const name =
    input.group_by === 'agent'
      ? sql`(select coalesce(nullif(trim(concat_ws(' ', u.first_name, u.last_name)), ''), u.email) from users u where u.id::text = k.key)`
      : input.group_by === 'team'
        ? sql`(select t.name from teams t where t.id::text = k.key)`
        : input.group_by === 'department'
          ? sql`(select x.name from departments x where x.id::text = k.key)`
          : sql`null::text`;
  // The buckets come from generate_series and the figures from one aggregate; they are put
  // together here, so no statement multiplies groups by buckets (and no plan gets costly enough
  // to be JIT-compiled for a few hundred rows).
  const [team, buckets, rows] = await ctx.db.run((q) => [
    q.execute<{ found: boolean }>(input.team_id ? teamExists(input.team_id) : sql`select true as found`),
    q.execute<{ bucket: string; f: string; t: string }>(sql`
      with ${range}
      select g::date::text as bucket, f::text as f, t::text as t
      from bounds, generate_series(date_trunc(${unit}, f::timestamp), date_trunc(${unit}, t::timestamp), ${sql.raw(`'1 ${input.period}'`)}::interval) g
      order by g`),
    q.execute<{ key: string | null; name: string | null; bucket: string; num: number; den: number; n: number }>(sql`
      with ${range},
      grouped as (
        select date_trunc(${unit}, d.day::timestamp)::date::text as bucket, ${key} as key, ${sums}
        from ${source} join bounds b on d.day between b.f and b.t ${onlyCriterion}
        left join users u on u.id = d.agent_id
        where ${scope}
        group by 1, 2
      ),
      keys as (select distinct key from grouped)
      select g.key, n.name, g.bucket, g.num, g.den, g.n
      from grouped g join (select k.key, ${name} as name from keys k) n on n.key is not distinct from g.key
      order by g.key nulls first, g.bucket`),
  ]);
  if (!team.rows[0]?.found) unknownTeam();
  type Point = { bucket: string; value: Num; count: number };
  const valueOf = (num: number, den: number): Num =>
    input.metric === 'volume'
      ? num
      : criterionId
        ? pct(num, den)
        : input.metric === 'average_score'
          ? mean(num, den)
          : ratio(num, den);
  const empty = (): Map<string, Point> =>
    new Map(buckets.rows.map((b) => [b.bucket, { bucket: b.bucket, value: valueOf(0, 0), count: 0 }]));
  const series = new Map<string, { key: string | null; name: string | null; points: Map<string, Point> }>();
  // Without grouping there is always one series, empty or not.
  if (input.group_by === 'none' || rows.rows.length === 0) series.set('', { key: null, name: null, points: empty() });
  for (const r of rows.rows) {
    const id = r.key ?? '';
    if (!series.has(id)) series.set(id, { key: r.key, name: r.name, points: empty() });
    const point = series.get(id)!.points.get(r.bucket);
    if (point) Object.assign(point, { value: valueOf(r.num ?? 0, r.den ?? 0), count: r.n ?? 0 });
  }
  const bounds0 = buckets.rows[0];
  return {
    metric: input.metric,
    period: input.period,
    group_by: input.group_by,
    from_date: bounds0?.f ?? input.from_date ?? null,
    to_date: bounds0?.t ?? input.to_date ?? null,
    series: [...series.values()].map((x) => ({ key: x.key, name: x.name, points: [...x.points.values()] })),
  };
}

export interface PerformanceInput extends DateRange {
  agent_id?: string;
  period: keyof typeof PERFORMANCE_PERIODS;
}

type AgentRow = {
  agent_id: string;
  name: string | null;
  team_id: string | null;
  calls: number;
  scored: number;
  score_sum: number;
  passed: number;
  prev_calls: number;
  prev_scored: number;
  prev_score_sum: number;
  prev_passed: number;
  team_rank: number | null;
  tenant_rank: number | null;
  f: string;
  t: string;
  pf: string;
  pt: string;
};

/**
 * Per agent: calls, average, pass rate and per-criterion % over the range, ranks by average
 * score among the agents with scored calls (in the team and in the tenant), and the change
 * against the previous range of the same length. Every agent of the tenant is listed.
 */
export async function agentPerformance(ctx: UserContext, input: PerformanceInput) {
  tenantOf(ctx);
  checkRange(input);
  const days = PERFORMANCE_PERIODS[input.period];
  const only = input.agent_id ? sql`a.agent_id = ${input.agent_id}::uuid` : sql`true`;
  const [agents, criteria] = await ctx.db.run((q) => [
    q.execute<AgentRow>(sql`
      with ${bounds(input, days)},
      cur as (
        select d.agent_id, sum(d.received)::int as calls, sum(d.scored)::int as scored,
               sum(d.score_sum)::float8 as score_sum, sum(d.passed)::int as passed
        from analytics_daily d, bounds b where d.day between b.f and b.t and d.agent_id <> ${noAgent}
        group by d.agent_id
      ),
      prev as (
        select d.agent_id, sum(d.received)::int as calls, sum(d.scored)::int as scored,
               sum(d.score_sum)::float8 as score_sum, sum(d.passed)::int as passed
        from analytics_daily d, bounds b where d.day between b.pf and b.pt and d.agent_id <> ${noAgent}
        group by d.agent_id
      ),
      everyone as (
        select u.id as agent_id, coalesce(nullif(trim(concat_ws(' ', u.first_name, u.last_name)), ''), u.email) as name,
               u.team_id
        from users u where u.role = 'agent' or u.id in (select agent_id from cur)
      ),
      figures as (
        select e.*, coalesce(c.calls, 0) as calls, coalesce(c.scored, 0) as scored, coalesce(c.score_sum, 0) as score_sum,
               coalesce(c.passed, 0) as passed, coalesce(p.calls, 0) as prev_calls, coalesce(p.scored, 0) as prev_scored,
               coalesce(p.score_sum, 0) as prev_score_sum, coalesce(p.passed, 0) as prev_passed,
               case when c.scored > 0 then c.score_sum / c.scored end as average
        from everyone e left join cur c on c.agent_id = e.agent_id left join prev p on p.agent_id = e.agent_id
      ),
      ranked as (
        select f.*,
               case when f.average is not null and f.team_id is not null
                    then rank() over (partition by f.team_id, f.average is null order by f.average desc) end::int as team_rank,
               case when f.average is not null
                    then rank() over (partition by f.average is null order by f.average desc) end::int as tenant_rank
        from figures f
      )
      select a.agent_id, a.name, a.team_id, a.calls, a.scored, a.score_sum, a.passed, a.prev_calls, a.prev_scored,
             a.prev_score_sum, a.prev_passed, a.team_rank, a.tenant_rank,
             b.f::text as f, b.t::text as t, b.pf::text as pf, b.pt::text as pt
      from ranked a, bounds b where ${only}
      order by a.tenant_rank nulls last, a.name, a.agent_id`),
    q.execute<{
      agent_id: string;
      criterion_id: string;
      name: string;
      n: number;
      points: number;
      max_points: number;
    }>(sql`
      with ${bounds(input, days)}
      select d.agent_id, d.criterion_id, max(d.criterion_name) as name, sum(d.n)::int as n,
             sum(d.points)::float8 as points, sum(d.max_points)::float8 as max_points
      from analytics_daily_criteria d, bounds b
      where d.day between b.f and b.t and d.agent_id <> ${noAgent}
        ${input.agent_id ? sql`and d.agent_id = ${input.agent_id}::uuid` : sql``}
      group by d.agent_id, d.criterion_id having sum(d.n) > 0
      order by d.agent_id, d.criterion_id`),
  ]);
  const perCriterion = new Map<string, { criterion_id: string; name: string; pct: Num; results: number }[]>();
  for (const c of criteria.rows) {
    const list = perCriterion.get(c.agent_id) ?? [];
    list.push({ criterion_id: c.criterion_id, name: c.name, pct: pct(c.points, c.max_points), results: c.n });
    perCriterion.set(c.agent_id, list);
  }
  const first = agents.rows[0];
  const diff = (a: Num, b: Num, digits: number): Num =>
    a === null || b === null ? null : Math.round((a - b) * 10 ** digits) / 10 ** digits;
  return {
    period: input.period,
    from_date: first?.f ?? input.from_date ?? null,
    to_date: first?.t ?? input.to_date ?? null,
    previous_period: first ? { from_date: first.pf, to_date: first.pt } : null,
    agents: agents.rows.map((a) => {
      const average = mean(a.score_sum, a.scored);
      const passRate = ratio(a.passed, a.scored);
      const prevAverage = mean(a.prev_score_sum, a.prev_scored);
      const prevPassRate = ratio(a.prev_passed, a.prev_scored);
      return {
        agent_id: a.agent_id,
        name: a.name,
        team_id: a.team_id,
        calls: a.calls,
        calls_scored: a.scored,
        average_score: average,
        pass_rate: passRate,
        criteria: perCriterion.get(a.agent_id) ?? [],
        team_rank: a.team_rank,
        tenant_rank: a.tenant_rank,
        previous: { calls: a.prev_calls, average_score: prevAverage, pass_rate: prevPassRate },
        change: {
          calls: a.calls - a.prev_calls,
          average_score: diff(average, prevAverage, 1),
          pass_rate: diff(passRate, prevPassRate, 3),
        },
      };
    }),
  };
}

export { NO_AGENT };
