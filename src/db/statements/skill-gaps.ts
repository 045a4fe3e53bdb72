/**
 * An agent's skill gaps, computed in SQL in one statement from its current criterion results over
 * a window (their effective values, of released evaluations: a human's score where one was given), beside its team's and its tenant's figures on the same criteria and window; and, in
 * the same statement, the published courses that train the gaps.
 *
 * How it stays cheap on a tenant with millions of results:
 * - the agent's rows are one range of `criterion_results_agent` (tenant, agent, criterion,
 *   scored_at desc, current and released only), never the table;
 * - every other user's rows (team and tenant) are one range each of the same index, read
 *   laterally per user, so the comparison costs the rows in the window and not the history
 *   (`criterion_results_tenant` would read the agent's own rows a second time);
 * - the streak reads only the fails newer than the last pass, and evidence at most 3 failed
 *   results per criterion in the index's order, each joined to its evaluation by key.
 * bench/coach-recommendations.ts measures it and shows the plan.
 *
 * Row-level security keeps other agents' results from an agent's own context, so for an agent
 * reading itself the team and tenant figures would only be its own again: they are null there
 * (`(select current_actor_role())`), and the gap rule falls back to the threshold and the streak.
 */
import { sql } from 'drizzle-orm';
import type { COURSE_DIFFICULTIES } from '../schema';
import type { QueryBuilder } from '../tenant-db';

/** Below this percentage of max points a criterion is a gap whatever the others score. */
export const GAP_THRESHOLD_PCT = 70;
/** Points below the tenant's percentage that make a gap (smaller differences are noise). */
export const GAP_MARGIN_PCT = 5;
/** This many failed results in a row, newest first, make a gap. */
export const GAP_CONSECUTIVE_FAILS = 2;
/** Evidence quotes kept per criterion, from the agent's most recent failed results. */
export const EVIDENCE_PER_CRITERION = 3;
/** Courses recommended at most. */
export const MAX_RECOMMENDED_COURSES = 10;

export type GapReason = 'consecutive_fails' | 'below_threshold' | 'below_tenant';

export interface EvidenceQuote {
  quote: string;
  start_seconds: number | null;
  call_id: string;
  evaluation_id: string;
  scored_at: string;
}

export interface SkillGapRow {
  criterion_id: string;
  name: string;
  category: string;
  /** Percentages of max points, one decimal; team and tenant null where not visible or empty. */
  agent_pct: number;
  team_pct: number | null;
  tenant_pct: number | null;
  evaluations: number;
  fails: number;
  consecutive_fails: number;
  /** The agent's percentage in the older and the newer half of the window; null for an empty half. */
  first_half_pct: number | null;
  second_half_pct: number | null;
  trend_delta: number | null;
  last_scored_at: string;
  is_gap: boolean;
  gap_reasons: GapReason[];
  evidence: EvidenceQuote[];
}

export interface RecommendedCourseRow {
  id: string;
  title: string;
  category: string;
  difficulty: (typeof COURSE_DIFFICULTIES)[number];
  covers: string[];
  /** The agent has an open (assigned or in progress) assignment of it. */
  assigned: boolean;
}

export interface SkillGapsResult {
  /** The user named, if it exists in the tenant; `role` says whether it is an agent. */
  agent: { id: string; role: string; team_id: string | null } | null;
  criteria: SkillGapRow[];
  /** Empty unless asked for. */
  courses: RecommendedCourseRow[];
}

export interface SkillGapsInput {
  tenantId: string;
  agentId: string;
  windowDays: number;
  withCourses: boolean;
}

/** The window's start and middle, inline so the planner sees them as index bounds. */
const windowStart = (days: number) => sql`(now() - make_interval(days => ${days}::int))`;
const windowMiddle = (days: number) => sql`(now() - make_interval(secs => ${days}::int * 43200))`;

const pct = (score: string, max: string) => sql.raw(`round(100.0 * ${score} / nullif(${max}, 0), 1)::float8`);

export function skillGaps(q: QueryBuilder, { tenantId, agentId, windowDays, withCourses }: SkillGapsInput) {
  const since = windowStart(windowDays);
  const mid = windowMiddle(windowDays);
  const courses = withCourses
    ? sql`(
        select coalesce(json_agg(json_build_object('id', c.id, 'title', c.title, 'category', c.category,
                 'difficulty', c.difficulty, 'covers', c.covers, 'assigned', c.assigned)
                 order by cardinality(c.covers) desc, c.title, c.id), '[]'::json)
        from (
          select * from (
            select c.id, c.title, c.category, c.difficulty,
                   array(select g.criterion_id from scored_gaps g
                         where g.is_gap and (lower(g.criterion_id) in (select lower(s) from unnest(c.skills_covered) s)
                                             or lower(g.category) in (select lower(s) from unnest(c.skills_covered) s))
                         order by g.criterion_id) as covers,
                   exists (select 1 from coach_assignments a
                           where a.tenant_id = ${tenantId} and a.agent_id = ${agentId}::uuid and a.course_id = c.id
                             and a.status in ('assigned', 'in_progress')) as assigned
            from coach_courses c
            where c.tenant_id = ${tenantId} and c.status = 'published'
              and exists (select 1 from unnest(c.skills_covered) s where lower(s) in (select k from gap_keys))
              -- A course the agent has completed is not recommended again.
              and not exists (select 1 from coach_assignments a
                              where a.tenant_id = ${tenantId} and a.agent_id = ${agentId}::uuid and a.course_id = c.id
                                and a.status = 'completed')
          ) c
          order by cardinality(c.covers) desc, c.title, c.id
          limit ${sql.raw(String(MAX_RECOMMENDED_COURSES))}
        ) c)`
    : sql`'[]'::json`;

  return q.execute<{ agent: SkillGapsResult['agent']; criteria: SkillGapRow[]; courses: RecommendedCourseRow[] }>(sql`
    with win as (
      -- Row-level security hides other agents' results from an agent: no comparison there.
      select (select current_actor_role()) is distinct from 'agent' as compare
    ),
    agent as (
      select u.id, u.role, u.team_id from users u where u.tenant_id = ${tenantId} and u.id = ${agentId}::uuid
    ),
    mine as (
      select r.criterion_id, sum(r.effective_score) as score, sum(r.max_points) as max_points,
             sum(r.effective_score) filter (where r.scored_at < ${mid}) as first_score,
             sum(r.max_points) filter (where r.scored_at < ${mid}) as first_max,
             sum(r.effective_score) filter (where r.scored_at >= ${mid}) as second_score,
             sum(r.max_points) filter (where r.scored_at >= ${mid}) as second_max,
             count(*)::int as evaluations, count(*) filter (where not r.effective_passed)::int as fails,
             max(r.scored_at) filter (where r.effective_passed) as last_pass_at, max(r.scored_at) as last_scored_at
      from criterion_results r
      where r.tenant_id = ${tenantId} and r.agent_id = ${agentId}::uuid and r.current and r.released and r.scored_at >= ${since}
      group by r.criterion_id
    ),
    -- Everyone else in the tenant, read per user from the agent index (the agent's own rows are in mine).
    peers as (
      select u.id, a.team_id is not null and u.team_id = a.team_id as teammate
      from win w, agent a, users u
      where w.compare and u.tenant_id = ${tenantId} and u.id <> ${agentId}::uuid
    ),
    -- Lateral, so each peer's rows are one range of the agent index (tenant, agent, criterion, scored_at).
    others as (
      select x.criterion_id, sum(x.score) as score, sum(x.max_points) as max_points,
             sum(x.score) filter (where p.teammate) as team_score, sum(x.max_points) filter (where p.teammate) as team_max
      from peers p
      cross join lateral (
        select r.criterion_id, sum(r.effective_score) as score, sum(r.max_points) as max_points
        from criterion_results r
        where r.tenant_id = ${tenantId} and r.agent_id = p.id and r.current and r.released and r.scored_at >= ${since}
          and r.criterion_id in (select criterion_id from mine)
        group by r.criterion_id
      ) x
      group by x.criterion_id
    ),
    figures as (
      select m.criterion_id, latest.criterion_name as name, latest.category, m.evaluations, m.fails, m.last_scored_at,
             ${pct('m.score', 'm.max_points')} as agent_pct,
             case when w.compare and a.team_id is not null
                  then ${pct('(m.score + coalesce(o.team_score, 0))', '(m.max_points + coalesce(o.team_max, 0))')} end as team_pct,
             case when w.compare
                  then ${pct('(m.score + coalesce(o.score, 0))', '(m.max_points + coalesce(o.max_points, 0))')} end as tenant_pct,
             ${pct('m.first_score', 'm.first_max')} as first_half_pct,
             ${pct('m.second_score', 'm.second_max')} as second_half_pct,
             streak.n as consecutive_fails
      from mine m
      cross join win w
      cross join agent a
      left join others o on o.criterion_id = m.criterion_id
      -- The name and category the criterion had when last scored.
      cross join lateral (
        select r.criterion_name, r.category from criterion_results r
        where r.tenant_id = ${tenantId} and r.agent_id = ${agentId}::uuid and r.criterion_id = m.criterion_id and r.current and r.released
          and r.scored_at = m.last_scored_at
        limit 1
      ) latest
      -- The fails newer than the last pass: an index range as long as the streak.
      cross join lateral (
        select count(*)::int as n from criterion_results r
        where r.tenant_id = ${tenantId} and r.agent_id = ${agentId}::uuid and r.criterion_id = m.criterion_id and r.current and r.released
          and r.scored_at > greatest(m.last_pass_at, ${since} - interval '1 microsecond')
      ) streak
    ),
    scored as (
      select f.*, round((f.second_half_pct - f.first_half_pct)::numeric, 1)::float8 as trend_delta,
             array_remove(array[
               case when f.consecutive_fails >= ${GAP_CONSECUTIVE_FAILS} then 'consecutive_fails' end,
               case when f.agent_pct < ${GAP_THRESHOLD_PCT} then 'below_threshold' end,
               case when f.agent_pct < f.tenant_pct - ${GAP_MARGIN_PCT} then 'below_tenant' end
             ], null) as gap_reasons
      from figures f
    ),
    scored_gaps as (select s.*, cardinality(s.gap_reasons) > 0 as is_gap from scored s),
    gap_keys as (
      select distinct lower(k) as k from scored_gaps g, unnest(array[g.criterion_id, g.category]) k where g.is_gap
    )
    select
      (select json_build_object('id', a.id, 'role', a.role, 'team_id', a.team_id) from agent a) as agent,
      (select coalesce(json_agg(json_build_object(
                'criterion_id', s.criterion_id, 'name', s.name, 'category', s.category,
                'agent_pct', s.agent_pct, 'team_pct', s.team_pct, 'tenant_pct', s.tenant_pct,
                'evaluations', s.evaluations, 'fails', s.fails, 'consecutive_fails', s.consecutive_fails,
                'first_half_pct', s.first_half_pct, 'second_half_pct', s.second_half_pct, 'trend_delta', s.trend_delta,
                'last_scored_at', s.last_scored_at, 'is_gap', s.is_gap, 'gap_reasons', s.gap_reasons,
                'evidence', coalesce(e.quotes, '[]'::json))
              order by s.is_gap desc, s.agent_pct, s.consecutive_fails desc, s.criterion_id), '[]'::json)
       from scored_gaps s
       left join lateral (
         select json_agg(json_build_object('quote', x.quote, 'start_seconds', x.start_seconds, 'call_id', x.call_id,
                           'evaluation_id', x.evaluation_id, 'scored_at', x.scored_at)
                         order by x.scored_at desc, x.start_seconds) as quotes
         from (
           select f.call_id, f.evaluation_id, f.scored_at, q.value ->> 'quote' as quote,
                  (q.value ->> 'start_seconds')::float8 as start_seconds
           from (
             select r.call_id, r.evaluation_id, r.scored_at from criterion_results r
             where r.tenant_id = ${tenantId} and r.agent_id = ${agentId}::uuid and r.criterion_id = s.criterion_id
               and r.current and r.released and not r.effective_passed and r.scored_at >= ${since}
             -- The index's own order (desc nulls last), so the scan stops at the third fail.
             order by r.scored_at desc nulls last
             limit ${sql.raw(String(EVIDENCE_PER_CRITERION))}
           ) f
           -- The call must still be the agent's: evidence never quotes anyone else's call.
           join calls c on c.tenant_id = ${tenantId} and c.id = f.call_id and c.agent_id = ${agentId}::uuid
           join evaluations ev on ev.tenant_id = ${tenantId} and ev.id = f.evaluation_id
           cross join lateral jsonb_array_elements(ev.results) res
           cross join lateral jsonb_array_elements(
             case when jsonb_typeof(res.value -> 'evidence') = 'array' then res.value -> 'evidence' else '[]'::jsonb end) q
           where res.value ->> 'criterion_id' = s.criterion_id and coalesce(q.value ->> 'quote', '') <> ''
           order by f.scored_at desc, start_seconds
           limit ${sql.raw(String(EVIDENCE_PER_CRITERION))}
         ) x
       ) e on true) as criteria,
      ${courses} as courses`);
}
