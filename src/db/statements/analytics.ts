/**
 * The writers of the analytics rollups. Each is a set of CTEs that goes into the statement that
 * changes the call it counts (intake, evaluation, failure, delete), so a rollup can never disagree
 * with the change that moved it: both commit or neither does.
 *
 * A call's contribution is kept as one row of `analytics_call_facts` (its day, agent and
 * figures as last counted). A writer moves it: the old row is subtracted, the new one added,
 * and the difference applied to `analytics_daily` in one upsert. Criterion figures move the
 * same way, from the call's counted criterion results to its new ones, with their effective
 * values. A scoring counts once it is released (its agent may see it): a score waiting for review
 * counts nowhere yet, so an agent's own rollup rows never hold one.
 */
import { sql, type SQL } from 'drizzle-orm';
import { NO_AGENT } from '../schema';

/** The columns of a contribution, in the order `next` queries must yield them. */
const FACT_COLUMNS = sql.raw('day, agent_id, scored, failed, score, passed, auto_failed, compliant, sentiment');

export const noAgent = sql.raw(`'${NO_AGENT}'::uuid`);

/**
 * `old_fact` (the call's counted row, if any) and `fact_base` (the day and agent the call counts
 * on: the ones it was first counted with, else computed now from the call's row). Both read the
 * statement's snapshot, so they see the call as it was before the statement's own writes.
 */
export function factBase(tenantId: string, callId: string): SQL {
  return sql`
    old_fact as (
      select ${FACT_COLUMNS} from analytics_call_facts where tenant_id = ${tenantId} and call_id = ${callId}::uuid
    ),
    fact_base as (
      select coalesce(f.day, analytics_day(c.tenant_id, c.agent_id, coalesce(c.started_at, c.created_at))) as day,
             coalesce(f.agent_id, c.agent_id, ${noAgent}) as agent_id
      from calls c left join old_fact f on true
      where c.id = ${callId}::uuid
    )`;
}

/**
 * Replaces the call's contribution by the row `next` yields (no row: the call stops counting,
 * for a delete) and applies the difference to `analytics_daily`, only when `applies` holds.
 * Needs `old_fact` in scope (factBase), and `next` may read `fact_base`.
 */
export function moveCallFacts(tenantId: string, callId: string, next: SQL, applies: SQL): SQL {
  return sql`
    new_fact as (${next}),
    fact_kept as (
      insert into analytics_call_facts (tenant_id, call_id, ${FACT_COLUMNS})
      select ${tenantId}, ${callId}::uuid, ${FACT_COLUMNS} from new_fact where ${applies}
      on conflict (tenant_id, call_id) do update
        set day = excluded.day, agent_id = excluded.agent_id, scored = excluded.scored, failed = excluded.failed,
            score = excluded.score, passed = excluded.passed, auto_failed = excluded.auto_failed,
            compliant = excluded.compliant, sentiment = excluded.sentiment
      returning 1
    ),
    fact_moves as (
      select m.day, m.agent_id, sum(m.s)::int as received,
             sum(m.s * m.scored::int)::int as scored, sum(m.s * m.failed::int)::int as failed,
             sum(case when m.scored then m.s * coalesce(m.score, 0) else 0 end)::bigint as score_sum,
             sum(m.s * m.passed::int)::int as passed, sum(m.s * m.auto_failed::int)::int as auto_failed,
             sum(m.s * m.compliant::int)::int as compliant,
             sum(case when m.sentiment = 'positive' then m.s else 0 end)::int as positive,
             sum(case when m.sentiment = 'neutral' then m.s else 0 end)::int as neutral,
             sum(case when m.sentiment = 'negative' then m.s else 0 end)::int as negative
      from (select ${FACT_COLUMNS}, -1 as s from old_fact union all select ${FACT_COLUMNS}, 1 as s from new_fact) m
      where ${applies}
      group by m.day, m.agent_id
    ),
    daily_moved as (
      insert into analytics_daily (tenant_id, day, agent_id, received, scored, failed, score_sum, passed, auto_failed,
                                   compliant, sentiment_positive, sentiment_neutral, sentiment_negative)
      select ${tenantId}, day, agent_id, received, scored, failed, score_sum, passed, auto_failed, compliant,
             positive, neutral, negative
      from fact_moves
      on conflict (tenant_id, day, agent_id) do update
        set received = analytics_daily.received + excluded.received,
            scored = analytics_daily.scored + excluded.scored,
            failed = analytics_daily.failed + excluded.failed,
            score_sum = analytics_daily.score_sum + excluded.score_sum,
            passed = analytics_daily.passed + excluded.passed,
            auto_failed = analytics_daily.auto_failed + excluded.auto_failed,
            compliant = analytics_daily.compliant + excluded.compliant,
            sentiment_positive = analytics_daily.sentiment_positive + excluded.sentiment_positive,
            sentiment_neutral = analytics_daily.sentiment_neutral + excluded.sentiment_neutral,
            sentiment_negative = analytics_daily.sentiment_negative + excluded.sentiment_negative
      returning 1
    )`;
}

/**
 * Moves criterion figures from the rows `retired` yields to those `added` yields (each
 * `criterion_id, criterion_name, score, max_points, passed`), on the call's `fact_base` day and agent.
 */
export function moveCriterionFacts(tenantId: string, retired: SQL, added: SQL): SQL {
  return sql`
    criterion_moves as (
      select m.criterion_id, coalesce(max(m.criterion_name) filter (where m.s > 0), max(m.criterion_name)) as criterion_name,
             sum(m.s)::int as n, sum(m.s * m.score)::bigint as points, sum(m.s * m.max_points)::bigint as max_points,
             sum(m.s * m.passed::int)::int as passed
      from (select r.criterion_id, r.criterion_name, r.score, r.max_points, r.passed, -1 as s from (${retired}) r
            union all
            select a.criterion_id, a.criterion_name, a.score, a.max_points, a.passed, 1 as s from (${added}) a) m
      group by m.criterion_id
    ),
    criteria_moved as (
      insert into analytics_daily_criteria (tenant_id, day, agent_id, criterion_id, criterion_name, n, points, max_points, passed)
      select ${tenantId}, b.day, b.agent_id, d.criterion_id, d.criterion_name, d.n, d.points, d.max_points, d.passed
      from criterion_moves d, fact_base b
      on conflict (tenant_id, day, agent_id, criterion_id) do update
        set criterion_name = excluded.criterion_name,
            n = analytics_daily_criteria.n + excluded.n,
            points = analytics_daily_criteria.points + excluded.points,
            max_points = analytics_daily_criteria.max_points + excluded.max_points,
            passed = analytics_daily_criteria.passed + excluded.passed
      returning 1
    )`;
}

/**
 * Waits for the call's row lock, sent in the batch before a statement that moves its
 * contribution: each statement reads a fresh snapshot, so once the lock is held the move reads
 * the contribution the previous writer committed, and two writers cannot subtract the same one.
 */
export function lockCall(callId: string): SQL {
  return sql`select id from calls where id = ${callId}::uuid for update`;
}

/** A new call's contribution: received on the day it started (else now) in its time zone. */
export function receivedFact(tenantId: string, agentId: string | null, startedAt: string | null, from: SQL): SQL {
  return sql`
    select analytics_day(${tenantId}, ${agentId}::uuid, coalesce(${startedAt}::timestamptz, now())) as day,
           coalesce(${agentId}::uuid, ${noAgent}) as agent_id, false as scored, false as failed, null::int as score,
           false as passed, false as auto_failed, false as compliant, null::text as sentiment
    from ${from}`;
}

/** The contribution of a call that failed: received, failed, nothing scored. */
export const failedFact = (gate: SQL) => sql`
  select b.day, b.agent_id, false as scored, true as failed, null::int as score, false as passed,
         false as auto_failed, false as compliant, null::text as sentiment
  from fact_base b where ${gate}`;

/** `uploaded` → `queued`: the call is received now, on the day it started (else arrived). */
export const queuedFact = (gate: SQL) => sql`
  select b.day, b.agent_id, false as scored, false as failed, null::int as score, false as passed,
         false as auto_failed, false as compliant, null::text as sentiment
  from fact_base b where ${gate}`;

/** Moves a call to `failed` unless it was scored (or waits for review), with its contribution; answers the call's id when it moved. */
export function failCallStatement(tenantId: string, callId: string, reason: string): SQL {
  const moved = sql`exists (select 1 from moved)`;
  return sql`
    with moved as (
      update calls set status = 'failed', failure_reason = ${reason}
      where id = ${callId}::uuid and status not in ('awaiting_review', 'completed', 'failed')
      returning id
    ),
    ${factBase(tenantId, callId)},
    ${moveCallFacts(tenantId, callId, failedFact(moved), moved)}
    select id from moved`;
}

/** Deletes a call and subtracts its contribution, its counted (current, released) criterion results and compliance items; answers its audio key. */
export function deleteCallStatement(tenantId: string, callId: string): SQL {
  const gone = sql`exists (select 1 from gone)`;
  return sql`
    with gone as (delete from calls where id = ${callId}::uuid returning audio_key),
    ${factBase(tenantId, callId)},
    ${moveCallFacts(tenantId, callId, sql`select ${sql.raw('day, agent_id, scored, failed, score, passed, auto_failed, compliant, sentiment')} from old_fact where false`, gone)},
    ${moveCriterionFacts(
      tenantId,
      sql`select criterion_id, criterion_name, effective_score as score, max_points, effective_passed as passed
          from criterion_results where call_id = ${callId}::uuid and current and released and ${gone}`,
      sql`select criterion_id, criterion_name, score, max_points, passed from criterion_results where false`,
    )},
    ${moveRequirementFacts(
      tenantId,
      sql`select e.compliance from evaluations e
          where e.call_id = ${callId}::uuid and ${gone}
            and exists (select 1 from criterion_results r where r.evaluation_id = e.id and r.current and r.released)`,
      sql`select null::jsonb as compliance where false`,
    )}
    select audio_key from gone`;
}

/**
 * Moves requirement figures from the compliance items `retired` yields to those `added` yields
 * (each a row with one `compliance` jsonb: an evaluation's items), on the call's `fact_base` day
 * and agent. `analytics_requirement_rows` (migrations) says what counts as judged and violated.
 */
export function moveRequirementFacts(tenantId: string, retired: SQL, added: SQL): SQL {
  return sql`
    requirement_moves as (
      select m.requirement_id, coalesce(max(m.requirement) filter (where m.s > 0), max(m.requirement)) as requirement,
             coalesce(max(m.severity) filter (where m.s > 0), max(m.severity)) as severity,
             sum(m.s)::int as checked, sum(m.s * m.violated::int)::int as violations
      from (select x.*, -1 as s from (${retired}) r, analytics_requirement_rows(r.compliance) x
            union all
            select x.*, 1 as s from (${added}) a, analytics_requirement_rows(a.compliance) x) m
      group by m.requirement_id
    ),
    requirements_moved as (
      insert into analytics_daily_requirements (tenant_id, day, agent_id, requirement_id, requirement, severity, checked, violations)
      select ${tenantId}, b.day, b.agent_id, d.requirement_id, d.requirement, d.severity, d.checked, d.violations
      from requirement_moves d, fact_base b
      on conflict (tenant_id, day, agent_id, requirement_id) do update
        set requirement = excluded.requirement,
            severity = excluded.severity,
            checked = analytics_daily_requirements.checked + excluded.checked,
            violations = analytics_daily_requirements.violations + excluded.violations
      returning 1
    )`;
}
