import { and, asc, count, desc, eq, gte, lte, sql } from 'drizzle-orm';
import type { UserContext } from '../context';
import type { QueryBuilder } from '../db/tenant-db';
import {
  calls,
  evaluationReviewItems,
  evaluationReviews,
  evaluations,
  insights,
  transcripts,
  type CallStatus,
} from '../db/schema';
import { presignR2 } from '../integrations/r2-presign';
import { Conflict, Invalid, NotFound, TooManyRequests } from '../lib/errors';
import type {
  ComplianceItem,
  CriterionResult,
  CustomerBehavior,
  Evaluation,
  ScoredCriterion,
  SentimentAnalysis,
} from '../routes/calls/schema';
import type { Pagination } from './pagination';
import { chargeReanalysis } from '../db/statements/calls';
import { deleteCallStatement, lockCall } from '../db/statements/analytics';
import { effectiveOf, presentReviewSummary, reviewStatus } from './reviews';
import { iso, tenantOf } from './scope';

type CallRow = typeof calls.$inferSelect;

export function presentCall(row: CallRow) {
  return {
    id: row.id,
    agent_id: row.agentId,
    source: row.source,
    direction: row.direction,
    started_at: iso(row.startedAt),
    external_id: row.externalId,
    customer_number: row.customerNumber,
    tags: row.tags,
    status: row.status,
    failure_reason: row.failureReason,
    audio: { content_type: row.audioContentType, bytes: row.audioBytes, channels: row.audioChannels },
    duration_seconds: row.durationSeconds,
    criteria_set_id: row.criteriaSetId,
    overall_score: row.overallScore,
    created_at: iso(row.createdAt),
    completed_at: iso(row.completedAt),
  };
}

export interface CallFilter extends Pagination {
  agent_id?: string;
  date_from?: string;
  date_to?: string;
  status?: CallStatus;
  min_score?: number;
  max_score?: number;
}

/** Agents get their own calls only: the `agents_own_calls` policy filters them in the database. */
export async function listCalls(ctx: UserContext, f: CallFilter) {
  tenantOf(ctx);
  const where = and(
    f.agent_id ? eq(calls.agentId, f.agent_id) : undefined,
    f.date_from ? gte(calls.createdAt, f.date_from) : undefined,
    f.date_to ? lte(calls.createdAt, f.date_to) : undefined,
    f.status ? eq(calls.status, f.status) : undefined,
    f.min_score !== undefined ? gte(calls.overallScore, f.min_score) : undefined,
    f.max_score !== undefined ? lte(calls.overallScore, f.max_score) : undefined,
  );
  const [rows, [counted]] = await ctx.db.run((q) => [
    q
      .select()
      .from(calls)
      .where(where)
      .orderBy(desc(calls.createdAt), desc(calls.id))
      .limit(f.limit)
      .offset((f.page - 1) * f.limit),
    q.select({ n: count() }).from(calls).where(where),
  ]);
  return { rows: rows.map(presentCall), total: counted?.n ?? 0 };
}

/** The call's latest scoring; an agent's reads as none while it waits for review (the policy hides it). */
const currentEvaluation = (q: QueryBuilder, callId: string) =>
  q
    .select()
    .from(evaluations)
    .where(and(eq(evaluations.callId, callId), eq(evaluations.current, true)));

/** The reviews of a call's evaluations and their items: what is shown beside the model's scores. */
const reviewsOf = (q: QueryBuilder, callId: string) =>
  [
    q.select().from(evaluationReviews).where(eq(evaluationReviews.callId, callId)),
    q.select().from(evaluationReviewItems).where(eq(evaluationReviewItems.callId, callId)),
  ] as const;

type ReviewRows = {
  reviews: (typeof evaluationReviews.$inferSelect)[];
  items: (typeof evaluationReviewItems.$inferSelect)[];
};

/** An empty object stands for "not assessed" (a manual set asks no model for sentiment or behaviour). */
const assessed = <T>(value: unknown): T | null =>
  value && typeof value === 'object' && Object.keys(value).length ? (value as T) : null;

function presentEvaluation(e: typeof evaluations.$inferSelect, r: ReviewRows): Evaluation {
  const review = r.reviews.find((x) => x.evaluationId === e.id);
  return {
    id: e.id,
    run: e.runKey === 'pipeline' ? 'initial' : 're-analysis',
    grading_mode: e.gradingMode,
    overall_score: e.overallScore,
    auto_failed: e.autoFailed,
    criteria_set: { id: e.criteriaSetId, version: e.criteriaSetVersion },
    criteria: e.results as CriterionResult[],
    model: e.model,
    transcript_truncated: e.transcriptTruncated,
    requested_by: e.requestedBy,
    created_at: iso(e.createdAt),
    released_at: iso(e.releasedAt),
    review_status: reviewStatus(e, review),
    effective: effectiveOf(e, review),
    review: presentReviewSummary(review, r.items),
  };
}

export async function getCall(ctx: UserContext, callId: string) {
  tenantOf(ctx);
  const [[call], [transcript], [evaluation], reviews, items] = await ctx.db.run((q) => [
    q.select().from(calls).where(eq(calls.id, callId)),
    q.select().from(transcripts).where(eq(transcripts.callId, callId)),
    currentEvaluation(q, callId),
    ...reviewsOf(q, callId),
  ]);
  if (!call) throw new NotFound('Call');
  const scored = evaluation?.gradingMode === 'manual' ? undefined : evaluation;
  return {
    call_info: presentCall(call),
    transcription: transcript ? presentTranscript(transcript) : null,
    qa_evaluation: evaluation ? presentEvaluation(evaluation, { reviews, items }) : null,
    sentiment_analysis: assessed<SentimentAnalysis>(scored?.sentiment),
    customer_behavior: assessed<CustomerBehavior>(scored?.customerBehavior),
    compliance_status: scored
      ? {
          compliant: scored.compliance.every((c) => (c as { met?: boolean }).met !== false),
          items: scored.compliance as ComplianceItem[],
        }
      : null,
    summary: scored?.summary || null,
  };
}

function presentTranscript(t: typeof transcripts.$inferSelect) {
  return {
    provider_id: t.providerId,
    language_code: t.languageCode,
    duration_seconds: t.durationSeconds,
    speaker_roles: t.speakerRoles,
    text: t.text,
    segments: t.utterances.map((u, index) => ({ index, ...u })),
    updated_at: iso(t.updatedAt),
  };
}

/** Deletes the call and all derived from it (cascade, its rollup contribution subtracted), then its audio; audited by trigger. */
export async function deleteCall(ctx: UserContext, callId: string) {
  const tenantId = tenantOf(ctx);
  const [, gone] = await ctx.db.run((q) => [
    q.execute(lockCall(callId)),
    q.execute<{ audio_key: string }>(deleteCallStatement(tenantId, callId)),
  ]);
  const deleted = gone.rows[0] ? { key: gone.rows[0].audio_key } : undefined;
  if (!deleted) throw new NotFound('Call');
  await ctx.audio.delete(deleted.key).catch(async (err) => {
    ctx.log.warn('audio delete failed; queued for purge', { call_id: callId, error: err });
    await ctx.pipeline.send({ step: 'purge', tenant_id: tenantId, key: deleted.key });
  });
}

export async function getTranscription(ctx: UserContext, callId: string) {
  tenantOf(ctx);
  const [[call], [transcript]] = await ctx.db.run((q) => [
    q.select({ status: calls.status, failureReason: calls.failureReason }).from(calls).where(eq(calls.id, callId)),
    q.select().from(transcripts).where(eq(transcripts.callId, callId)),
  ]);
  if (!call) throw new NotFound('Call');
  const status: 'completed' | 'failed' | 'pending' = transcript
    ? 'completed'
    : call.status === 'failed'
      ? 'failed'
      : 'pending';
  return {
    call_id: callId,
    status,
    call_status: call.status,
    failure_reason: call.failureReason,
    transcript: transcript ? presentTranscript(transcript) : null,
  };
}

/**
 * Relabels segments (`{index, speaker}` with speaker 'agent' | 'customer'). Every index must exist
 * in the transcript; the check and the write are one statement, so a bad index writes nothing.
 */
export async function updateSpeakers(
  ctx: UserContext,
  callId: string,
  segments: { index: number; speaker: 'agent' | 'customer' }[],
) {
  tenantOf(ctx);
  const patch = JSON.stringify(segments);
  const [[call], updated] = await ctx.db.run((q) => [
    q
      .select({ id: transcripts.callId, n: sql<number>`jsonb_array_length(${transcripts.utterances})` })
      .from(transcripts)
      .where(eq(transcripts.callId, callId)),
    q.execute(sql`
      update ${transcripts} t set utterances = (
        select jsonb_agg(case when p.speaker is null then u.value else jsonb_set(u.value, '{role}', to_jsonb(p.speaker)) end order by u.ordinality)
        from jsonb_array_elements(t.utterances) with ordinality u
        left join jsonb_to_recordset(${patch}::jsonb) as p("index" int, speaker text) on p."index" = u.ordinality - 1
      )
      where t.call_id = ${callId}
        and (select coalesce(max(p."index"), -1) from jsonb_to_recordset(${patch}::jsonb) as p("index" int, speaker text)) < jsonb_array_length(t.utterances)
      returning t.call_id`),
  ]);
  if (!call) throw new NotFound('Transcript');
  if (updated.rows.length === 0) {
    throw new Invalid('A segment index is outside the transcript.', [
      { field: 'segments', message: `indexes must be between 0 and ${Number(call.n) - 1}` },
    ]);
  }
  return getTranscription(ctx, callId);
}

export async function getAnalysis(ctx: UserContext, callId: string) {
  tenantOf(ctx);
  const [[call], history, reviews, items] = await ctx.db.run((q) => [
    q.select({ status: calls.status }).from(calls).where(eq(calls.id, callId)),
    q.select().from(evaluations).where(eq(evaluations.callId, callId)).orderBy(desc(evaluations.createdAt)),
    ...reviewsOf(q, callId),
  ]);
  if (!call) throw new NotFound('Call');
  const current = history.find((e) => e.current);
  const previous = history.filter((e) => !e.current);
  const r = { reviews, items };
  return {
    call_id: callId,
    call_status: call.status,
    current: current
      ? {
          ...presentEvaluation(current, r),
          compliance: current.compliance as ComplianceItem[],
          sentiment: assessed<SentimentAnalysis>(current.sentiment),
          customer_behavior: assessed<CustomerBehavior>(current.customerBehavior),
          summary: current.summary,
          criteria_snapshot: current.criteriaSnapshot as ScoredCriterion[],
        }
      : null,
    history: previous.map((e) => presentEvaluation(e, r)),
  };
}

/** Queues a new evaluation of a transcribed call; earlier ones are kept as history. */
export async function requestReanalysis(ctx: UserContext, callId: string, criteriaSetId: string | null) {
  const tenantId = tenantOf(ctx);
  // A re-analysis is model spend like a new call: it counts against the day's quota, and only
  // when it will actually run.
  const [result] = await ctx.db.run((q) => [chargeReanalysis(q, tenantId, callId, criteriaSetId)]);
  const r = result.rows[0]!;
  if (!r.found) throw new NotFound('Call');
  if (!r.set_exists)
    throw new Invalid('No such criteria set in this tenant.', [
      { field: 'criteria_set_id', message: 'does not exist' },
    ]);
  if (!r.transcribed)
    throw new Conflict(
      `The call has no transcript yet (status ${r.status}); it is scored when transcription completes.`,
    );
  if (!r.charged) throw new TooManyRequests('This tenant has reached its limit of calls for today.');
  const runKey = `reanalysis:${crypto.randomUUID()}`;
  await ctx.pipeline.send({
    step: 'evaluate',
    tenant_id: tenantId,
    call_id: callId,
    run_key: runKey,
    criteria_set_id: criteriaSetId,
    requested_by: ctx.actor.userId,
  });
  return { call_id: callId, run_key: runKey, status: 'queued' as const };
}

export async function listInsights(ctx: UserContext, callId: string) {
  tenantOf(ctx);
  const [[call], rows] = await ctx.db.run((q) => [
    q.select({ id: calls.id }).from(calls).where(eq(calls.id, callId)),
    q
      .select()
      .from(insights)
      .where(
        and(
          eq(insights.callId, callId),
          sql`${insights.evaluationId} = (select e.id from ${evaluations} e where e.call_id = ${callId} and e.current)`,
        ),
      )
      .orderBy(asc(insights.createdAt)),
  ]);
  if (!call) throw new NotFound('Call');
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    category: r.category,
    title: r.title,
    severity: r.severity,
    suggestions: r.suggestions,
  }));
}

export const AUDIO_URL_TTL_SECONDS = 300;

export async function audioUrl(ctx: UserContext, callId: string) {
  tenantOf(ctx);
  const [[call]] = await ctx.db.run((q) => [
    q
      .select({ key: calls.audioKey, type: calls.audioContentType, status: calls.status })
      .from(calls)
      .where(eq(calls.id, callId)),
  ]);
  if (!call) throw new NotFound('Call');
  if (call.status === 'uploaded') throw new Conflict('The upload of this call has not been completed.');
  return {
    url: await presignR2(ctx.config, 'GET', call.key, AUDIO_URL_TTL_SECONDS),
    content_type: call.type,
    expires_in: AUDIO_URL_TTL_SECONDS,
  };
}
