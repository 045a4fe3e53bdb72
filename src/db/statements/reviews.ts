/**
 * Human scores beside the model's: the one writer of reviews, used by a manager's review and by a
 * resolved dispute alike. One statement checks every precondition, writes the review and its
 * items, replaces the effective values of the evaluation's criterion results (the model's stay),
 * releases the evaluation to the agent, sets the call's score of record and moves the call's
 * rollup contribution (old effective values out, new ones in), and answers one row of flags.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { GradingMode, ReviewSource } from '../schema';
import type { QueryBuilder } from '../tenant-db';
import { Invalid } from '../../lib/errors';
import { factBase, lockCall, moveCallFacts, moveCriterionFacts, moveRequirementFacts } from './analytics';

/** A human's verdict on one criterion: a score (with pass/fail and auto-fail), or `confirm` to take the model's as it is. */
export interface HumanScore {
  criterion_id: string;
  /** 0..max points of the criterion as the evaluation scored it. Required unless `confirm`. */
  score?: number | null;
  /** Omitted: passed at the tenant's passing percentage (`qa.passing_score`, 70) of the criterion's points. */
  passed?: boolean | null;
  /** Only for an auto-fail criterion; omitted: false. */
  auto_fail?: boolean | null;
  comment?: string | null;
  confirm?: boolean;
  /**
   * Confirm the value in force as it is: an earlier human's score where one exists, else the
   * model's (an upheld dispute item). Recorded as confirmed; no score, passed or auto_fail with it.
   */
  keep?: boolean;
}

export interface HumanScoresInput {
  tenantId: string;
  callId: string;
  /** The evaluation to score; omitted: the call's current one. */
  evaluationId?: string | null;
  items: HumanScore[];
  source: ReviewSource;
  /** What produced the scores, e.g. the dispute resolved. */
  sourceId?: string | null;
  /** Who gives them (audit identity). */
  actorId: string;
  /** The review's overall comment; undefined keeps the one it has. */
  comment?: string | null;
  /**
   * A further condition, in SQL, for the scores to apply at all (a dispute still in review): when
   * false nothing is written, as when a check fails.
   */
  guard?: SQL;
}

/** What the statement found and did; `applied` only when every check passed. */
export interface HumanScoresFlags {
  found: boolean;
  evaluation_id: string | null;
  current: boolean | null;
  grading_mode: GradingMode | null;
  /** Criteria named that the evaluation does not have. */
  unknown: string[];
  /** Scores above the criterion's max points as it was scored. */
  over_max: { criterion_id: string; name: string; max_points: number; version: number | null }[];
  /** auto_fail given for a criterion that is not an auto-fail criterion. */
  not_auto_fail: string[];
  /** confirm given where the model scored nothing (a manual set). */
  no_model_result: string[];
  /** Criteria that would be left without any score (a manual evaluation must be scored whole). */
  missing: { criterion_id: string; name: string }[];
  applied: boolean;
  review_id: string | null;
  overall_score: number | null;
  auto_failed: boolean | null;
  released_now: boolean;
}

/**
 * The statements that apply human scores, to send in one batch (after any of the caller's own
 * that they depend on). The first waits for the call's row lock, so the second reads what the
 * call's last writer committed; read the second's single row for the outcome.
 */
export function applyHumanScores(q: QueryBuilder, input: HumanScoresInput) {
  const seen = new Set<string>();
  input.items.forEach((item, i) => {
    if (seen.has(item.criterion_id))
      throw new Invalid('A criterion is named twice.', [
        { field: `criteria.${i}.criterion_id`, message: 'is already named earlier in the list' },
      ]);
    seen.add(item.criterion_id);
  });
  return [
    q.execute(lockCall(input.callId)),
    q.execute<{ [K in keyof HumanScoresFlags]: HumanScoresFlags[K] }>(humanScores(input)),
  ] as const;
}

function humanScores(input: HumanScoresInput): SQL {
  const { tenantId, callId } = input;
  const items = JSON.stringify(
    input.items.map((i) => ({
      criterion_id: i.criterion_id,
      score: i.confirm || i.keep ? null : (i.score ?? null),
      passed: i.confirm || i.keep ? null : (i.passed ?? null),
      auto_fail: i.confirm || i.keep ? null : (i.auto_fail ?? null),
      comment: i.comment ?? null,
      confirm: !!i.confirm && !i.keep,
      keep: !!i.keep,
    })),
  );
  const keepComment = input.comment === undefined;
  const applied = sql`exists (select 1 from sc)`;
  const moved = sql`exists (select 1 from moved)`;
  return sql`
    with target as materialized (
      select e.id, e.call_id, e.current, e.grading_mode, e.released_at, e.compliance, e.sentiment, e.criteria_snapshot
      from evaluations e
      where e.call_id = ${callId}::uuid
        and case when ${input.evaluationId ?? null}::uuid is null then e.current else e.id = ${input.evaluationId ?? null}::uuid end
    ),
    input as (
      select x.criterion_id, x.score, x.passed, x.auto_fail, x.comment, x.confirm, x.keep
      from jsonb_to_recordset(${items}::jsonb)
        as x(criterion_id text, score int, passed boolean, auto_fail boolean, comment text, confirm boolean, keep boolean)
    ),
    -- The evaluation's results as this statement found them, with each criterion as it was scored.
    before as materialized (
      select r.criterion_id, r.criterion_name, r.score, r.max_points, r.passed, r.auto_failed, r.effective_score,
             r.effective_passed, r.effective_auto_failed, r.released, r.current,
             coalesce((s.value ->> 'auto_fail')::boolean, false) as auto_fail_kind, (s.value ->> 'version')::int as version
      from target t
      join criterion_results r on r.evaluation_id = t.id
      left join lateral (
        select value from jsonb_array_elements(t.criteria_snapshot) where value ->> 'id' = r.criterion_id limit 1
      ) s on true
    ),
    -- Each criterion's value after this write: the human's where given, the model's on confirm,
    -- else what is in force now (the model's, or an earlier human's).
    judged as materialized (
      select b.*, i.criterion_id is not null as given, coalesce(i.confirm, false) as confirm,
             coalesce(i.keep, false) as keep, i.comment,
             case when i.keep then b.effective_score when i.confirm then b.score
                  when i.criterion_id is not null then i.score else b.effective_score end as new_score,
             case when i.keep then b.effective_passed when i.confirm then b.passed
                  when i.criterion_id is not null
                    then coalesce(i.passed, i.score * 100 >= b.max_points * analytics_passing_score(${tenantId}))
                  else b.effective_passed end as new_passed,
             case when i.keep then coalesce(b.effective_auto_failed, false)
                  when i.confirm then coalesce(b.auto_failed, false)
                  when i.criterion_id is not null then coalesce(i.auto_fail, false)
                  else coalesce(b.effective_auto_failed, false) end as new_auto_failed
      from before b left join input i on i.criterion_id = b.criterion_id
    ),
    problems as (
      select
        coalesce((select array_agg(i.criterion_id) from input i
                  where not exists (select 1 from before b where b.criterion_id = i.criterion_id)), '{}') as unknown,
        coalesce((select jsonb_agg(jsonb_build_object('criterion_id', j.criterion_id, 'name', j.criterion_name,
                                                      'max_points', j.max_points, 'version', j.version))
                  from judged j where j.given and not j.confirm and not j.keep and j.new_score > j.max_points), '[]') as over_max,
        coalesce((select array_agg(j.criterion_id) from judged j
                  where j.given and not j.confirm and not j.keep and j.new_auto_failed and not j.auto_fail_kind), '{}') as not_auto_fail,
        coalesce((select array_agg(j.criterion_id) from judged j where j.confirm and j.score is null), '{}') as no_model_result,
        coalesce((select jsonb_agg(jsonb_build_object('criterion_id', j.criterion_id, 'name', j.criterion_name))
                  from judged j where j.new_score is null and not j.confirm), '[]') as missing,
        ${input.guard ?? sql`true`} as guard
    ),
    ok as (
      select exists (select 1 from target) and cardinality(p.unknown) = 0 and jsonb_array_length(p.over_max) = 0
             and cardinality(p.not_auto_fail) = 0 and cardinality(p.no_model_result) = 0
             and jsonb_array_length(p.missing) = 0 and coalesce(p.guard, false) as ok
      from problems p
    ),
    -- The effective overall score, by the formula the evaluate step scores with. Empty unless every check passed.
    sc as (
      select s.score, s.auto_failed
      from qa_overall_score((select jsonb_agg(jsonb_build_object('score', j.new_score, 'max_points', j.max_points,
                                                                 'auto_failed', j.new_auto_failed)) from judged j)) s
      where (select ok from ok)
    ),
    review as (
      insert into evaluation_reviews (tenant_id, evaluation_id, call_id, agent_id, overall_score, auto_failed, comment,
                                      created_by, updated_by)
      select ${tenantId}, t.id, t.call_id, c.agent_id, sc.score, sc.auto_failed, ${input.comment ?? null},
             ${input.actorId}, ${input.actorId}
      from target t join calls c on c.id = t.call_id cross join sc
      on conflict (tenant_id, evaluation_id) do update
        set overall_score = excluded.overall_score, auto_failed = excluded.auto_failed, updated_by = excluded.updated_by,
            comment = case when ${keepComment}::boolean then evaluation_reviews.comment else excluded.comment end
      returning id
    ),
    items as (
      insert into evaluation_review_items (tenant_id, review_id, evaluation_id, call_id, agent_id, criterion_id, max_points,
                                           score, passed, auto_failed, comment, confirmed, source, source_id, reviewed_by)
      select ${tenantId}, r.id, t.id, t.call_id, c.agent_id, j.criterion_id, j.max_points, j.new_score, j.new_passed,
             j.new_auto_failed, j.comment, j.confirm or j.keep, ${input.source}, ${input.sourceId ?? null}::uuid, ${input.actorId}
      from judged j cross join review r cross join target t join calls c on c.id = t.call_id
      where j.given
      on conflict (tenant_id, evaluation_id, criterion_id) do update
        set score = excluded.score, passed = excluded.passed, auto_failed = excluded.auto_failed, comment = excluded.comment,
            confirmed = excluded.confirmed, source = excluded.source, source_id = excluded.source_id,
            reviewed_by = excluded.reviewed_by
      returning 1
    ),
    -- The effective values change; the model's columns are never written here.
    results_moved as (
      update criterion_results r
         set effective_score = j.new_score, effective_passed = j.new_passed, effective_auto_failed = j.new_auto_failed,
             released = true
      from judged j, target t
      where r.tenant_id = ${tenantId} and r.evaluation_id = t.id and r.criterion_id = j.criterion_id and ${applied}
      returning 1
    ),
    released_now as (
      update evaluations set released_at = now()
      where id = (select id from target) and released_at is null and ${applied}
      returning id
    ),
    -- Only the call's current evaluation is its score of record; a review of an older one changes nothing else.
    moved as (
      update calls set overall_score = (select score from sc),
                       status = case when status = 'awaiting_review' then 'completed' else status end
      where id = ${callId}::uuid and ${applied} and (select current from target)
      returning id
    ),
    ${factBase(tenantId, callId)},
    ${moveCallFacts(
      tenantId,
      callId,
      sql`select b.day, b.agent_id, true as scored, false as failed, sc.score,
                 not sc.auto_failed and sc.score >= analytics_passing_score(${tenantId}) as passed, sc.auto_failed,
                 analytics_compliant(t.compliance) as compliant, t.sentiment ->> 'overall' as sentiment
          from fact_base b, sc, target t where ${moved}`,
      moved,
    )},
    ${moveCriterionFacts(
      tenantId,
      sql`select criterion_id, criterion_name, effective_score as score, max_points, effective_passed as passed
          from before where released and current and ${moved}`,
      sql`select criterion_id, criterion_name, new_score as score, max_points, new_passed as passed
          from judged where current and ${moved}`,
    )},
    -- A first release starts counting the evaluation's compliance; a later review leaves it as it is.
    ${moveRequirementFacts(
      tenantId,
      sql`select compliance from target where released_at is not null and ${moved}`,
      sql`select compliance from target where ${moved}`,
    )}
    select exists (select 1 from target) as found, (select id from target) as evaluation_id,
           (select current from target) as current, (select grading_mode from target) as grading_mode,
           p.unknown, p.over_max, p.not_auto_fail, p.no_model_result, p.missing,
           ${applied} as applied, (select id from review) as review_id,
           (select score from sc) as overall_score, (select auto_failed from sc) as auto_failed,
           exists (select 1 from released_now) as released_now
    from problems p`;
}
