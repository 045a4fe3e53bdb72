/**
 * Human review of a call's evaluation, beside the model's result and never over it. A manager
 * scores some criteria (or confirms the model's), or, for a manual set, all of them; the call's
 * effective score and its analytics follow in the same statement (db/statements/reviews.ts).
 * Agents read the review of their own call once its evaluation is released to them (the tables'
 * policies say so too); they never write one.
 */
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { UserContext } from '../context';
import {
  calls,
  criterionResults,
  evaluationReviewItems,
  evaluationReviews,
  evaluations,
  type GradingMode,
} from '../db/schema';
import { applyHumanScores, type HumanScore, type HumanScoresFlags } from '../db/statements/reviews';
import type { QueryBuilder } from '../db/tenant-db';
import { Conflict, type FieldError, Invalid, NotFound } from '../lib/errors';
import type { Pagination } from './pagination';
import { iso, tenantOf } from './scope';

type EvaluationRow = typeof evaluations.$inferSelect;
type ResultRow = typeof criterionResults.$inferSelect;
type ReviewRow = typeof evaluationReviews.$inferSelect;
type ItemRow = typeof evaluationReviewItems.$inferSelect;

/** What the model said of one criterion, as kept in the evaluation's results. */
type ModelVerdict = {
  criterion_id: string;
  score: number;
  passed: boolean;
  auto_fail_triggered: boolean;
  reasoning: string;
  evidence: { quote: string; start_seconds: number }[];
};
type SnapshotCriterion = {
  id: string;
  name: string;
  category: string;
  max_points: number;
  auto_fail: boolean;
  version: number;
};

export type ReviewStatus = 'waiting' | 'reviewed' | 'not_required';

/** waiting: held back until a human scores it; reviewed: a review exists; not_required: ai_auto, unreviewed. */
export function reviewStatus(e: Pick<EvaluationRow, 'releasedAt'>, review: unknown): ReviewStatus {
  if (review) return 'reviewed';
  return e.releasedAt === null ? 'waiting' : 'not_required';
}

export function presentReviewItem(i: ItemRow) {
  return {
    score: i.score,
    passed: i.passed,
    auto_failed: i.autoFailed,
    comment: i.comment,
    confirmed: i.confirmed,
    source: i.source,
    source_id: i.sourceId,
    reviewed_by: i.reviewedBy,
    reviewed_at: iso(i.updatedAt),
  };
}

/** The review's own fields, or null: who reviewed, when, the effective overall score it holds. */
export function presentReviewSummary(r: ReviewRow | undefined, items: ItemRow[]) {
  if (!r) return null;
  return {
    id: r.id,
    overall_score: r.overallScore,
    auto_failed: r.autoFailed,
    comment: r.comment,
    created_by: r.createdBy,
    updated_by: r.updatedBy,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
    items: items
      .filter((i) => i.reviewId === r.id)
      .sort((a, b) => a.criterionId.localeCompare(b.criterionId))
      .map((i) => ({ criterion_id: i.criterionId, ...presentReviewItem(i) })),
  };
}

/** The score in force: the review's once there is one, else the model's, and nothing while it waits. */
export function effectiveOf(e: EvaluationRow, review: ReviewRow | undefined) {
  if (e.releasedAt === null) return null;
  if (review) return { overall_score: review.overallScore, auto_failed: review.autoFailed, source: 'review' as const };
  if (e.overallScore === null) return null;
  return { overall_score: e.overallScore, auto_failed: e.autoFailed ?? false, source: 'model' as const };
}

/** The call, its current evaluation, that evaluation's criterion results, review and review items. */
function reviewReads(q: QueryBuilder, callId: string) {
  const current = sql`(select e.id from ${evaluations} e where e.call_id = ${callId}::uuid and e.current)`;
  return [
    q.select({ id: calls.id }).from(calls).where(eq(calls.id, callId)),
    q
      .select()
      .from(evaluations)
      .where(and(eq(evaluations.callId, callId), eq(evaluations.current, true))),
    q
      .select()
      .from(criterionResults)
      .where(sql`${criterionResults.evaluationId} = ${current}`),
    q
      .select()
      .from(evaluationReviews)
      .where(sql`${evaluationReviews.evaluationId} = ${current}`),
    q
      .select()
      .from(evaluationReviewItems)
      .where(sql`${evaluationReviewItems.evaluationId} = ${current}`)
      .orderBy(asc(evaluationReviewItems.criterionId)),
  ] as const;
}

function presentReview(
  callId: string,
  e: EvaluationRow,
  results: ResultRow[],
  review: ReviewRow | undefined,
  items: ItemRow[],
) {
  const byCriterion = new Map(results.map((r) => [r.criterionId, r]));
  const verdicts = new Map((e.results as ModelVerdict[]).map((v) => [v.criterion_id, v]));
  const human = new Map(items.map((i) => [i.criterionId, i]));
  return {
    call_id: callId,
    evaluation_id: e.id,
    grading_mode: e.gradingMode,
    status: reviewStatus(e, review),
    criteria_set: { id: e.criteriaSetId, version: e.criteriaSetVersion },
    scored_at: iso(e.createdAt),
    released_at: iso(e.releasedAt),
    model:
      e.overallScore === null
        ? null
        : { overall_score: e.overallScore, auto_failed: e.autoFailed ?? false, model: e.model },
    effective: effectiveOf(e, review),
    review: presentReviewSummary(review, items),
    criteria: (e.criteriaSnapshot as SnapshotCriterion[]).map((c) => {
      const row = byCriterion.get(c.id);
      const v = verdicts.get(c.id);
      const h = human.get(c.id);
      return {
        criterion_id: c.id,
        name: c.name,
        category: c.category,
        version: c.version,
        max_points: c.max_points,
        auto_fail: c.auto_fail,
        model: v
          ? {
              score: v.score,
              passed: v.passed,
              auto_fail_triggered: v.auto_fail_triggered,
              reasoning: v.reasoning,
              evidence: v.evidence,
            }
          : null,
        human: h ? presentReviewItem(h) : null,
        effective:
          row?.released && row.effectiveScore !== null
            ? { score: row.effectiveScore, passed: row.effectivePassed!, auto_failed: row.effectiveAutoFailed ?? false }
            : null,
      };
    }),
  };
}

function noEvaluation(): never {
  throw new NotFound('Evaluation of this call');
}

export async function getReview(ctx: UserContext, callId: string) {
  tenantOf(ctx);
  const [[call], [evaluation], results, [review], items] = await ctx.db.run((q) => reviewReads(q, callId));
  if (!call) throw new NotFound('Call');
  // An agent's evaluation waiting for review is hidden by the database: it reads as none.
  if (!evaluation) noEvaluation();
  return presentReview(callId, evaluation, results, review, items);
}

export interface ReviewInput {
  criteria: HumanScore[];
  comment?: string | null;
}

/**
 * Creates or updates the review of the call's current evaluation, and answers it as it now
 * stands, from the same transaction. Criteria left out keep what they have: the model's result,
 * or an earlier human score.
 */
export async function saveReview(ctx: UserContext, callId: string, input: ReviewInput) {
  const tenantId = tenantOf(ctx);
  const [, written, [call], [evaluation], results, [review], items] = await ctx.db.run(
    (q) =>
      [
        ...applyHumanScores(q, {
          tenantId,
          callId,
          items: input.criteria,
          source: 'review',
          actorId: ctx.actor.userId,
          comment: input.comment,
        }),
        // Read after the write, in its transaction: the review as it now stands.
        ...reviewReads(q, callId),
      ] as const,
  );
  if (!call) throw new NotFound('Call');
  const flags = written.rows[0]!;
  refuse(flags, input.criteria);
  if (!evaluation) noEvaluation();
  await afterScores(ctx, tenantId, callId, flags.evaluation_id!);
  return presentReview(callId, evaluation, results, review, items);
}

/**
 * What follows a human scoring, as queue steps: the alerts the released score raises (and the
 * live `call.reviewed` event), and the coaching rules judged on the new effective results.
 */
export async function afterScores(ctx: UserContext, tenantId: string, callId: string, evaluationId: string) {
  await ctx.pipeline.send({ step: 'alerts', tenant_id: tenantId, call_id: callId, trigger: 'reviewed' });
  await ctx.pipeline.send({ step: 'coaching', tenant_id: tenantId, call_id: callId, evaluation_id: evaluationId });
}

/** The outcome of `applyHumanScores` as a domain error naming each offending field, or nothing when it applied. */
export function refuse(flags: HumanScoresFlags, items: HumanScore[]) {
  if (!flags.found) throw new Conflict('The call has no evaluation yet; it can be reviewed once it is scored.');
  if (flags.applied) return;
  const at = (id: string) => items.findIndex((i) => i.criterion_id === id);
  const errors: FieldError[] = [
    ...flags.unknown.map((id) => ({
      field: `criteria.${at(id)}.criterion_id`,
      message: `${id} is not a criterion of this evaluation`,
    })),
    ...flags.over_max.map((c) => ({
      field: `criteria.${at(c.criterion_id)}.score`,
      message: `must be at most ${c.max_points}, the max points of "${c.name}"${c.version ? ` (version ${c.version})` : ''} as the call was scored`,
    })),
    ...flags.not_auto_fail.map((id) => ({
      field: `criteria.${at(id)}.auto_fail`,
      message: 'this criterion is not an auto-fail criterion',
    })),
    ...flags.no_model_result.map((id) => ({
      field: `criteria.${at(id)}.confirm`,
      message: 'there is no model result to confirm (a manual set): give a score',
    })),
  ];
  if (flags.missing.length)
    errors.push({
      field: 'criteria',
      message: `a manual evaluation is scored whole; missing: ${flags.missing.map((m) => `${m.name} (${m.criterion_id})`).join(', ')}`,
    });
  throw new Invalid('The review cannot be applied as given.', errors);
}

// ---- the queue -----------------------------------------------------------------------------------

export interface QueueFilter extends Pagination {
  status: 'waiting' | 'reviewed';
  team_id?: string;
  criteria_set_id?: string;
  /** Scored at least this many hours ago. */
  older_than_hours?: number;
}

/**
 * The calls waiting for a human (their current evaluation is held back: an `ai_review` set the
 * model scored, or a `manual` set to be scored from the transcript), oldest first; or those
 * reviewed, most recently reviewed first. An unknown team or set is bad input, not an empty page.
 */
export async function reviewQueue(ctx: UserContext, f: QueueFilter) {
  tenantOf(ctx);
  const conditions: SQL[] = [
    sql`e.current`,
    f.status === 'waiting' ? sql`e.released_at is null` : sql`r.id is not null`,
    f.team_id ? sql`u.team_id = ${f.team_id}::uuid` : undefined,
    f.criteria_set_id ? sql`e.criteria_set_id = ${f.criteria_set_id}::uuid` : undefined,
    f.older_than_hours !== undefined
      ? sql`e.created_at <= now() - make_interval(hours => ${f.older_than_hours}::int)`
      : undefined,
  ].filter((c): c is SQL => !!c);
  const from = sql`from evaluations e
    join calls c on c.id = e.call_id
    left join users u on u.id = c.agent_id
    left join evaluation_reviews r on r.evaluation_id = e.id
    left join criteria_sets s on s.id = e.criteria_set_id
    where ${sql.join(conditions, sql` and `)}`;
  const order = f.status === 'waiting' ? sql`e.created_at, e.id` : sql`r.updated_at desc, e.id`;
  const [found, rows, counted] = await ctx.db.run((q) => [
    q.execute<{ team: boolean; set: boolean }>(sql`
      select ${f.team_id ?? null}::uuid is null or exists (select 1 from teams where id = ${f.team_id ?? null}::uuid) as team,
             ${f.criteria_set_id ?? null}::uuid is null
               or exists (select 1 from criteria_sets where id = ${f.criteria_set_id ?? null}::uuid) as set`),
    q.execute<QueueRow>(sql`
      select e.call_id, e.id as evaluation_id, e.grading_mode, e.criteria_set_id, e.criteria_set_version, s.name as criteria_set_name,
             c.agent_id, coalesce(nullif(trim(concat_ws(' ', u.first_name, u.last_name)), ''), u.email) as agent_name,
             u.team_id, c.started_at, c.duration_seconds, e.created_at as scored_at, e.overall_score as model_score,
             e.auto_failed as model_auto_failed, r.overall_score as reviewed_score, r.auto_failed as reviewed_auto_failed,
             r.updated_by as reviewed_by, r.updated_at as reviewed_at,
             floor(extract(epoch from now() - e.created_at) / 3600)::int as waiting_hours
      ${from}
      order by ${order}
      limit ${f.limit} offset ${(f.page - 1) * f.limit}`),
    q.execute<{ n: number }>(sql`select count(*)::int as n ${from}`),
  ]);
  const known = found.rows[0]!;
  const unknown: FieldError[] = [
    ...(!known.team ? [{ field: 'team_id', message: 'does not exist' }] : []),
    ...(!known.set ? [{ field: 'criteria_set_id', message: 'does not exist' }] : []),
  ];
  if (unknown.length) throw new Invalid('No such team or criteria set in this tenant.', unknown);
  return { rows: rows.rows.map(presentQueueRow), total: counted.rows[0]?.n ?? 0 };
}

type QueueRow = {
  call_id: string;
  evaluation_id: string;
  grading_mode: GradingMode;
  criteria_set_id: string | null;
  criteria_set_version: number | null;
  criteria_set_name: string | null;
  agent_id: string | null;
  agent_name: string | null;
  team_id: string | null;
  started_at: string | null;
  duration_seconds: number | null;
  scored_at: string;
  model_score: number | null;
  model_auto_failed: boolean | null;
  reviewed_score: number | null;
  reviewed_auto_failed: boolean | null;
  reviewed_by: string | null;
  reviewed_at: string | null;
  waiting_hours: number;
};

function presentQueueRow(r: QueueRow) {
  return {
    call_id: r.call_id,
    evaluation_id: r.evaluation_id,
    grading_mode: r.grading_mode,
    criteria_set: { id: r.criteria_set_id, version: r.criteria_set_version, name: r.criteria_set_name },
    agent: r.agent_id ? { id: r.agent_id, name: r.agent_name, team_id: r.team_id } : null,
    started_at: iso(r.started_at),
    duration_seconds: r.duration_seconds,
    scored_at: iso(r.scored_at),
    hours_since_scored: r.waiting_hours,
    model: r.model_score === null ? null : { overall_score: r.model_score, auto_failed: r.model_auto_failed ?? false },
    review:
      r.reviewed_at === null
        ? null
        : {
            overall_score: r.reviewed_score!,
            auto_failed: r.reviewed_auto_failed!,
            reviewed_by: r.reviewed_by!,
            reviewed_at: iso(r.reviewed_at),
          },
  };
}
