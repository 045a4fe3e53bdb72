/**
 * What each report type contains, read from the analytics rollups: the period's calls are the
 * rows of `analytics_call_facts` on its days (the day and pass rule analytics uses), the summary
 * sums the same facts, and the figures per agent are the analytics endpoint's own. The header of a
 * report (names, summary, trend, columns) is one round trip; rows follow in pages of PAGE_ROWS, so
 * a long report is never held whole. Scores are the effective ones (a human review's where one
 * exists), and a call held back for review is not in a report until it is released, as in analytics.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { ServiceContext, UserContext } from '../../context';
import type { ReportFilters, ReportType } from '../../db/schema';
import type { CellValue, ReportColumn, ReportDocument } from '../../reports/document';
import { agentPerformance, mean, ratio } from '../analytics';
import { agentFilter } from './filters';

/** Rows per database round trip while a report streams. */
export const PAGE_ROWS = 2000;
/** Calls per page of the compliance report, whose rows are calls × requirements. */
const PAGE_CALLS = 500;

export const REPORT_TITLES: Record<ReportType, string> = {
  call_scores: 'Call scores',
  agent_performance: 'Agent performance',
  compliance: 'Compliance',
  coaching_progress: 'Coaching progress',
};

type Row = Record<string, CellValue>;
type Header = Omit<ReportDocument, 'rows' | 'columns' | 'summary' | 'trend' | 'title' | 'groupBy'>;

const fmtPct = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)}%`);
const fmtNum = (v: number | null) => (v === null ? '–' : v.toFixed(1));
const agentName = (alias: string) =>
  sql.raw(`coalesce(nullif(trim(concat_ws(' ', ${alias}.first_name, ${alias}.last_name)), ''), ${alias}.email)`);

/** The period's facts a report reads: its days, its agents, and (if named) calls scored with the set. */
function factScope(f: ReportFilters): SQL {
  const set = f.criteria_set_id
    ? sql`and exists (select 1 from evaluations e where e.tenant_id = f.tenant_id and e.call_id = f.call_id and e.current
                      and e.criteria_set_id = ${f.criteria_set_id}::uuid)`
    : sql``;
  return sql`f.day between ${f.from}::date and ${f.to}::date and ${agentFilter(sql`f.agent_id`, f)} ${set}`;
}

/** Daily buckets up to two months, weekly (from Monday) beyond. */
function trendUnit(f: ReportFilters): 'day' | 'week' {
  const days = (Date.parse(f.to) - Date.parse(f.from)) / 86_400_000 + 1;
  return days <= 62 ? 'day' : 'week';
}

/** A trend over the facts, every bucket present. `value` is an SQL aggregate over `f`. */
function trendStatement(f: ReportFilters, value: SQL): SQL {
  const unit = sql.raw(`'${trendUnit(f)}'`);
  return sql`
    with buckets as (
      select g::date as bucket from generate_series(date_trunc(${unit}, ${f.from}::date::timestamp),
                                                    date_trunc(${unit}, ${f.to}::date::timestamp),
                                                    ${sql.raw(`'1 ${trendUnit(f)}'`)}::interval) g
    ),
    figures as (
      select date_trunc(${unit}, f.day::timestamp)::date as bucket, ${value} as value
      from analytics_call_facts f where f.scored and ${factScope(f)} group by 1
    )
    select b.bucket::text as label, fg.value::float8 as value
    from buckets b left join figures fg on fg.bucket = b.bucket order by b.bucket`;
}

/** What the named filters are called, for the report's title block. */
function filterNames(f: ReportFilters): SQL {
  return sql`select
      (select name from teams where id = ${f.team_id ?? null}::uuid) as team,
      (select name from departments where id = ${f.department_id ?? null}::uuid) as department,
      (select ${agentName('u')} from users u where u.id = ${f.agent_id ?? null}::uuid) as agent,
      (select name from criteria_sets where id = ${f.criteria_set_id ?? null}::uuid) as criteria_set,
      (select display_name from tenants where id = current_tenant()) as tenant,
      analytics_time_zone(current_tenant(), null) as time_zone`;
}

type Names = {
  team: string | null;
  department: string | null;
  agent: string | null;
  criteria_set: string | null;
  tenant: string;
  time_zone: string;
};

function header(names: Names, f: ReportFilters): Header {
  const filters = [
    names.team && { label: 'Team', value: names.team },
    names.department && { label: 'Department', value: names.department },
    names.agent && { label: 'Agent', value: names.agent },
    names.criteria_set && { label: 'Criteria set', value: names.criteria_set },
  ].filter((x): x is { label: string; value: string } => !!x);
  return {
    tenantName: names.tenant,
    generatedAt: new Date().toISOString(),
    period: { from: f.from, to: f.to },
    timeZone: names.time_zone,
    filters,
  };
}

/** The criteria a report has a column for: the named set's, else those scored in the period. */
function criteriaColumns(f: ReportFilters): SQL {
  if (f.criteria_set_id)
    return sql`
      select c.id::text as criterion_id, c.name from criteria_sets s
      cross join lateral unnest(s.criteria_ids) with ordinality as x(id, pos)
      join evaluation_criteria c on c.id = x.id
      where s.id = ${f.criteria_set_id}::uuid order by x.pos`;
  return sql`
    select d.criterion_id, max(d.criterion_name) as name from analytics_daily_criteria d
    where d.day between ${f.from}::date and ${f.to}::date and ${agentFilter(sql`d.agent_id`, f)}
    group by d.criterion_id having sum(d.n) > 0 order by 2, 1`;
}

const criterionKey = (id: string) => `criterion:${id}`;

/** Pages through a keyset-ordered statement until a page comes back short. */
async function* pages<R, K>(
  fetchPage: (after: K | null) => Promise<R[]>,
  keyOf: (row: R) => K,
  pageSize: number,
  toRows: (page: R[]) => Row[],
): AsyncGenerator<Row[]> {
  let after: K | null = null;
  for (;;) {
    const page = await fetchPage(after);
    if (page.length) yield toRows(page);
    if (page.length < pageSize) return;
    after = keyOf(page[page.length - 1]!);
  }
}

type Key = { day: string; call_id: string };
const afterKey = (after: Key | null) =>
  after ? sql`and (f.day, f.call_id) > (${after.day}::date, ${after.call_id}::uuid)` : sql``;

// ---- call_scores ------------------------------------------------------------------------------

type CallRow = {
  call_id: string;
  day: string;
  started_at: string;
  duration_seconds: number | null;
  agent: string | null;
  team: string | null;
  score: number | null;
  passed: boolean;
  auto_failed: boolean;
  criteria: Record<string, number> | null;
};

async function callScores(ctx: ServiceContext, f: ReportFilters): Promise<ReportDocument> {
  const [names, summary, trend, criteria] = await ctx.db.run((q) => [
    q.execute<Names>(filterNames(f)),
    q.execute<{ received: number; scored: number; score_sum: number; passed: number; auto_failed: number }>(sql`
      select count(*)::int as received, count(*) filter (where f.scored)::int as scored,
             coalesce(sum(f.score) filter (where f.scored), 0)::float8 as score_sum,
             count(*) filter (where f.scored and f.passed)::int as passed,
             count(*) filter (where f.scored and f.auto_failed)::int as auto_failed
      from analytics_call_facts f where ${factScope(f)}`),
    q.execute<{ label: string; value: number | null }>(trendStatement(f, sql`avg(f.score)`)),
    q.execute<{ criterion_id: string; name: string }>(criteriaColumns(f)),
  ]);
  const s = summary.rows[0]!;
  const passRate = ratio(s.passed, s.scored);
  const autoFailRate = ratio(s.auto_failed, s.scored);
  const columns: ReportColumn[] = [
    { key: 'call_id', header: 'Call', kind: 'text' },
    { key: 'started_at', header: 'Started', kind: 'datetime' },
    { key: 'day', header: 'Day', kind: 'text' },
    { key: 'agent', header: 'Agent', kind: 'text' },
    { key: 'team', header: 'Team', kind: 'text' },
    { key: 'duration_seconds', header: 'Duration (s)', kind: 'integer' },
    { key: 'score', header: 'Score', kind: 'integer' },
    { key: 'passed', header: 'Passed', kind: 'boolean' },
    { key: 'auto_failed', header: 'Auto-fail', kind: 'boolean' },
    ...criteria.rows.map((c) => ({ key: criterionKey(c.criterion_id), header: c.name, kind: 'integer' as const })),
  ];
  const fetchPage = async (after: Key | null) => {
    const [page] = await ctx.db.run((q) => [
      q.execute<CallRow>(sql`
        select f.call_id, f.day::text as day, coalesce(c.started_at, c.created_at) as started_at, c.duration_seconds,
               ${agentName('u')} as agent, t.name as team, f.score, f.passed, f.auto_failed,
               (select jsonb_object_agg(cr.criterion_id, cr.effective_score) from criterion_results cr
                 where cr.tenant_id = f.tenant_id and cr.call_id = f.call_id and cr.current) as criteria
        from analytics_call_facts f
        join calls c on c.tenant_id = f.tenant_id and c.id = f.call_id
        left join users u on u.id = f.agent_id
        left join teams t on t.id = u.team_id
        where f.scored and ${factScope(f)} ${afterKey(after)}
        order by f.day, f.call_id limit ${PAGE_ROWS}`),
    ]);
    return page.rows;
  };
  return {
    ...header(names.rows[0]!, f),
    title: REPORT_TITLES.call_scores,
    summary: [
      { label: 'Calls received', value: String(s.received) },
      { label: 'Calls scored', value: String(s.scored) },
      { label: 'Average score', value: fmtNum(mean(s.score_sum, s.scored)) },
      { label: 'Pass rate', value: fmtPct(passRate === null ? null : passRate * 100) },
      { label: 'Auto-fail rate', value: fmtPct(autoFailRate === null ? null : autoFailRate * 100) },
    ],
    trend: { title: `Average score per ${trendUnit(f)}`, unit: 'points', points: roundPoints(trend.rows) },
    columns,
    rows: pages(
      fetchPage,
      (r) => ({ day: r.day, call_id: r.call_id }),
      PAGE_ROWS,
      (page) =>
        page.map((r) => {
          const row: Row = {
            call_id: r.call_id,
            started_at: new Date(r.started_at).toISOString(),
            day: r.day,
            agent: r.agent,
            team: r.team,
            duration_seconds: r.duration_seconds,
            score: r.score,
            passed: r.passed,
            auto_failed: r.auto_failed,
          };
          for (const c of criteria.rows) row[criterionKey(c.criterion_id)] = r.criteria?.[c.criterion_id] ?? null;
          return row;
        }),
    ),
  };
}

const roundPoints = (rows: { label: string; value: number | null }[]) =>
  rows.map((r) => ({ label: r.label, value: r.value === null ? null : Math.round(r.value * 10) / 10 }));

// ---- agent_performance ------------------------------------------------------------------------

async function agentPerformanceReport(ctx: ServiceContext, f: ReportFilters): Promise<ReportDocument> {
  const [names, trend, criteria, members] = await ctx.db.run((q) => [
    q.execute<Names>(filterNames(f)),
    q.execute<{ label: string; value: number | null }>(trendStatement(f, sql`avg(f.score)`)),
    q.execute<{ criterion_id: string; name: string }>(criteriaColumns(f)),
    q.execute<{ id: string; team: string | null }>(sql`
      select u.id::text as id, t.name as team from users u left join teams t on t.id = u.team_id
      where ${agentFilter(sql`u.id`, f)}`),
  ]);
  // The analytics endpoint's own figures, so the report and the dashboard agree.
  const perf = await agentPerformance(ctx as UserContext, {
    from_date: f.from,
    to_date: f.to,
    period: 'month',
    ...(f.agent_id ? { agent_id: f.agent_id } : {}),
  });
  const teams = new Map(members.rows.map((m) => [m.id, m.team]));
  const agents = perf.agents.filter((a) => teams.has(a.agent_id));
  const scored = agents.reduce((n, a) => n + a.calls_scored, 0);
  const scoreSum = agents.reduce((n, a) => n + (a.average_score ?? 0) * a.calls_scored, 0);
  const columns: ReportColumn[] = [
    { key: 'agent', header: 'Agent', kind: 'text' },
    { key: 'team', header: 'Team', kind: 'text' },
    { key: 'calls', header: 'Calls', kind: 'integer' },
    { key: 'calls_scored', header: 'Scored', kind: 'integer' },
    { key: 'average_score', header: 'Average', kind: 'number' },
    { key: 'pass_rate', header: 'Pass rate', kind: 'percent' },
    { key: 'team_rank', header: 'Team rank', kind: 'integer' },
    { key: 'tenant_rank', header: 'Rank', kind: 'integer' },
    { key: 'average_change', header: 'Change', kind: 'number' },
    ...criteria.rows.map((c) => ({
      key: criterionKey(c.criterion_id),
      header: `${c.name} %`,
      kind: 'percent' as const,
    })),
  ];
  async function* rows(): AsyncGenerator<Row[]> {
    yield agents.map((a) => {
      const row: Row = {
        agent: a.name,
        team: teams.get(a.agent_id) ?? null,
        calls: a.calls,
        calls_scored: a.calls_scored,
        average_score: a.average_score,
        pass_rate: a.pass_rate === null ? null : Math.round(a.pass_rate * 1000) / 10,
        team_rank: a.team_rank,
        tenant_rank: a.tenant_rank,
        average_change: a.change.average_score,
      };
      const byId = new Map(a.criteria.map((c) => [c.criterion_id, c.pct]));
      for (const c of criteria.rows) row[criterionKey(c.criterion_id)] = byId.get(c.criterion_id) ?? null;
      return row;
    });
  }
  return {
    ...header(names.rows[0]!, f),
    title: REPORT_TITLES.agent_performance,
    summary: [
      { label: 'Agents', value: String(agents.length) },
      { label: 'Agents with scored calls', value: String(agents.filter((a) => a.calls_scored > 0).length) },
      { label: 'Calls scored', value: String(scored) },
      { label: 'Average score', value: fmtNum(mean(scoreSum, scored)) },
    ],
    trend: { title: `Average score per ${trendUnit(f)}`, unit: 'points', points: roundPoints(trend.rows) },
    columns,
    rows: rows(),
  };
}

// ---- compliance -------------------------------------------------------------------------------

type ComplianceRow = {
  call_id: string;
  day: string;
  agent: string | null;
  requirement: string | null;
  template: string | null;
  severity: string | null;
  status: string | null;
  quote: string | null;
  quote_at: number | null;
  reasoning: string | null;
};

const clock = (seconds: number | null) =>
  seconds === null ? null : `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

async function complianceReport(ctx: ServiceContext, f: ReportFilters): Promise<ReportDocument> {
  const [names, totals, requirements, trend] = await ctx.db.run((q) => [
    q.execute<Names>(filterNames(f)),
    q.execute<{ scored: number; compliant: number }>(sql`
      select count(*)::int as scored, count(*) filter (where f.compliant)::int as compliant
      from analytics_call_facts f where f.scored and ${factScope(f)}`),
    q.execute<{ requirement: string; checked: number; violations: number }>(sql`
      select max(d.requirement) as requirement, sum(d.checked)::int as checked, sum(d.violations)::int as violations
      from analytics_daily_requirements d
      where d.day between ${f.from}::date and ${f.to}::date and ${agentFilter(sql`d.agent_id`, f)}
      group by d.requirement_id having sum(d.checked) > 0
      order by 3 desc, 1 limit 10`),
    q.execute<{ label: string; value: number | null }>(
      trendStatement(f, sql`100.0 * count(*) filter (where f.compliant) / nullif(count(*), 0)`),
    ),
  ]);
  const t = totals.rows[0]!;
  const rate = ratio(t.compliant, t.scored);
  // Paged by calls, so a call's rows stay on one page; a call with nothing judged still moves the
  // page on (its row has no requirement and is not shown).
  async function* rows(): AsyncGenerator<Row[]> {
    let after: Key | null = null;
    for (;;) {
      const [page] = await ctx.db.run((q) => [
        q.execute<ComplianceRow>(sql`
          with page as (
            select f.tenant_id, f.call_id, f.day, f.agent_id from analytics_call_facts f
            where f.scored and ${factScope(f)} ${afterKey(after)}
            order by f.day, f.call_id limit ${PAGE_CALLS}
          )
          select p.call_id, p.day::text as day, ${agentName('u')} as agent,
                 coalesce(i ->> 'title', i ->> 'requirement', i ->> 'requirement_key') as requirement,
                 i ->> 'template_name' as template, i ->> 'severity' as severity,
                 coalesce(i ->> 'status', case when (i ->> 'met') = 'false' then 'not_met' else 'met' end) as status,
                 coalesce(i #>> '{evidence_quotes,0,quote}', i ->> 'evidence') as quote,
                 (i #>> '{evidence_quotes,0,start_seconds}')::float8 as quote_at,
                 i ->> 'reasoning' as reasoning
          from page p
          left join users u on u.id = p.agent_id
          left join evaluations e on e.tenant_id = p.tenant_id and e.call_id = p.call_id and e.current
          left join lateral jsonb_array_elements(case when jsonb_typeof(e.compliance) = 'array' then e.compliance else '[]' end) i on true
          order by p.day, p.call_id`),
      ]);
      const judged = page.rows.filter((r) => r.requirement !== null);
      if (judged.length)
        yield judged.map((r) => ({
          call_id: r.call_id,
          day: r.day,
          agent: r.agent,
          requirement: r.requirement,
          template: r.template,
          severity: r.severity,
          status: r.status,
          evidence: r.quote,
          evidence_at: clock(r.quote_at),
          reasoning: r.reasoning,
        }));
      if (new Set(page.rows.map((r) => r.call_id)).size < PAGE_CALLS) return;
      const last = page.rows[page.rows.length - 1]!;
      after = { day: last.day, call_id: last.call_id };
    }
  }
  return {
    ...header(names.rows[0]!, f),
    title: REPORT_TITLES.compliance,
    summary: [
      { label: 'Calls scored', value: String(t.scored) },
      { label: 'Compliant calls', value: String(t.compliant) },
      { label: 'Compliance rate', value: fmtPct(rate === null ? null : rate * 100) },
      ...requirements.rows.map((r) => ({
        label: `Violations: ${r.requirement}`,
        value: `${r.violations} of ${r.checked}`,
      })),
    ],
    trend: { title: `Compliance rate per ${trendUnit(f)}`, unit: '%', points: roundPoints(trend.rows) },
    columns: [
      { key: 'call_id', header: 'Call', kind: 'text' },
      { key: 'day', header: 'Day', kind: 'text' },
      { key: 'agent', header: 'Agent', kind: 'text' },
      { key: 'requirement', header: 'Requirement', kind: 'text' },
      { key: 'template', header: 'Template', kind: 'text' },
      { key: 'severity', header: 'Severity', kind: 'text' },
      { key: 'status', header: 'Status', kind: 'text' },
      { key: 'evidence', header: 'Evidence', kind: 'text' },
      { key: 'evidence_at', header: 'At', kind: 'text' },
      { key: 'reasoning', header: 'Reasoning', kind: 'text' },
    ],
    rows: rows(),
  };
}

// ---- coaching_progress ------------------------------------------------------------------------

type AssignmentRow = {
  id: string;
  agent: string;
  team: string | null;
  course: string;
  status: string;
  overdue: boolean;
  assigned_at: string;
  due_date: string | null;
  completed_at: string | null;
  progress: number;
  score_scaled: number | null;
  lessons: number;
  lessons_completed: number;
};

async function coachingProgress(ctx: ServiceContext, f: ReportFilters): Promise<ReportDocument> {
  // Assignments made on the period's days (the tenant's), for the filtered agents.
  const scope = sql`analytics_day(a.tenant_id, a.agent_id, a.created_at) between ${f.from}::date and ${f.to}::date
                    and ${agentFilter(sql`a.agent_id`, f)}`;
  const [names, totals] = await ctx.db.run((q) => [
    q.execute<Names>(filterNames(f)),
    q.execute<{ assignments: number; completed: number; overdue: number; score: number | null }>(sql`
      select count(*)::int as assignments, count(*) filter (where a.status = 'completed')::int as completed,
             count(*) filter (where a.status in ('assigned', 'in_progress') and a.due_date < current_date)::int as overdue,
             avg(a.score_scaled)::float8 as score
      from coach_assignments a where a.status <> 'cancelled' and ${scope}`),
  ]);
  const t = totals.rows[0]!;
  type AKey = { agent: string; id: string };
  async function* rows(): AsyncGenerator<Row[]> {
    let after: AKey | null = null;
    for (;;) {
      const [page] = await ctx.db.run((q) => [
        q.execute<AssignmentRow>(sql`
          select a.id, ${agentName('u')} as agent, tm.name as team, c.title as course, a.status,
                 a.status in ('assigned', 'in_progress') and a.due_date < current_date as overdue,
                 a.created_at as assigned_at, a.due_date::text as due_date, a.completed_at,
                 a.progress::float8 as progress, a.score_scaled::float8 as score_scaled,
                 (select count(*) from coach_lessons l where l.tenant_id = a.tenant_id and l.course_id = a.course_id)::int as lessons,
                 (select count(*) from coach_progress p where p.tenant_id = a.tenant_id and p.assignment_id = a.id
                    and p.status = 'completed')::int as lessons_completed
          from coach_assignments a
          join users u on u.id = a.agent_id
          left join teams tm on tm.id = u.team_id
          join coach_courses c on c.tenant_id = a.tenant_id and c.id = a.course_id
          where a.status <> 'cancelled' and ${scope}
            ${after ? sql`and (${agentName('u')}, a.id) > (${after.agent}, ${after.id}::uuid)` : sql``}
          order by ${agentName('u')}, a.id limit ${PAGE_ROWS}`),
      ]);
      if (page.rows.length)
        yield page.rows.map((r) => ({
          agent: r.agent,
          team: r.team,
          course: r.course,
          status: r.overdue ? 'overdue' : r.status,
          assigned_at: new Date(r.assigned_at).toISOString(),
          due_date: r.due_date,
          completed_at: r.completed_at && new Date(r.completed_at).toISOString(),
          lessons_completed: r.lessons_completed,
          lessons: r.lessons,
          progress: Math.round(r.progress * 1000) / 10,
          quiz_score: r.score_scaled === null ? null : Math.round(r.score_scaled * 1000) / 10,
        }));
      if (page.rows.length < PAGE_ROWS) return;
      const last = page.rows[page.rows.length - 1]!;
      after = { agent: last.agent, id: last.id };
    }
  }
  const completion = ratio(t.completed, t.assignments);
  return {
    ...header(names.rows[0]!, f),
    title: REPORT_TITLES.coaching_progress,
    summary: [
      { label: 'Assignments', value: String(t.assignments) },
      { label: 'Completed', value: String(t.completed) },
      { label: 'Completion rate', value: fmtPct(completion === null ? null : completion * 100) },
      { label: 'Overdue', value: String(t.overdue) },
      { label: 'Average quiz score', value: fmtPct(t.score === null ? null : t.score * 100) },
    ],
    groupBy: 'agent',
    columns: [
      { key: 'agent', header: 'Agent', kind: 'text' },
      { key: 'team', header: 'Team', kind: 'text' },
      { key: 'course', header: 'Course', kind: 'text' },
      { key: 'status', header: 'Status', kind: 'text' },
      { key: 'assigned_at', header: 'Assigned', kind: 'datetime' },
      { key: 'due_date', header: 'Due', kind: 'text' },
      { key: 'completed_at', header: 'Completed', kind: 'datetime' },
      { key: 'lessons_completed', header: 'Lessons done', kind: 'integer' },
      { key: 'lessons', header: 'Lessons', kind: 'integer' },
      { key: 'progress', header: 'Progress', kind: 'percent' },
      { key: 'quiz_score', header: 'Quiz score', kind: 'percent' },
    ],
    rows: rows(),
  };
}

/** The document of a report: its header read now, its rows as they are pulled. */
export function reportDocument(ctx: ServiceContext, type: ReportType, f: ReportFilters): Promise<ReportDocument> {
  switch (type) {
    case 'call_scores':
      return callScores(ctx, f);
    case 'agent_performance':
      return agentPerformanceReport(ctx, f);
    case 'compliance':
      return complianceReport(ctx, f);
    case 'coaching_progress':
      return coachingProgress(ctx, f);
  }
}
