import { and, asc, eq, inArray, or, sql } from 'drizzle-orm';
import {
  factBase,
  failCallStatement,
  lockCall,
  moveCallFacts,
  moveCriterionFacts,
  moveRequirementFacts,
} from '../db/statements/analytics';
import {
  calls,
  complianceTemplates,
  criteriaSets,
  evaluationCriteria,
  transcripts,
  type GradingMode,
  type Utterance,
} from '../db/schema';
import type { ServiceContext, SystemActor } from '../context';
import { fetchTranscript, submitTranscription, type Transcript } from '../integrations/assemblyai';
import { evaluateTranscript, EvaluationRejected, type CriterionForScoring } from '../integrations/openai-evaluator';
import { presignR2 } from '../integrations/r2-presign';
import { CRITERIA_TEMPLATES } from '../services/criteria-templates';
import { deliverReport } from '../services/reports/delivery';
import { raiseAlerts } from '../services/alerts';
import { alertForFailedCall, alertsForScoredCall } from './alert-rules';
import { complianceItems, requirementsFor } from './compliance';
import { generateReport } from '../services/reports/generate';
import { applyCoachingRules, courseWriter, generateAndAssign } from './coaching-rules';
import { MAX_POLLS, type PipelineMessage } from './messages';

/** A failure no retry can fix: the call is marked `failed` with this reason. */
export class PermanentFailure extends Error {
  override name = 'PermanentFailure';
}

/** Steps run as the pipeline, inside the tenant their message names. */
export type StepContext = ServiceContext<SystemActor>;

/** AssemblyAI fetches the audio itself; the URL outlives a busy queue at their end. */
const AUDIO_URL_TTL_SECONDS = 6 * 3600;

export async function runStep(ctx: StepContext, msg: PipelineMessage): Promise<void> {
  switch (msg.step) {
    case 'transcribe':
      return transcribe(ctx, msg.tenant_id, msg.call_id);
    case 'collect':
      return collect(ctx, msg);
    case 'evaluate':
      return evaluate(ctx, msg);
    case 'alerts':
      return alertsForScoredCall(ctx, msg.tenant_id, msg.call_id, msg.trigger);
    case 'coaching':
      await applyCoachingRules(ctx, msg);
      return;
    case 'coach-generate':
      await generateAndAssign(ctx, msg, courseWriter);
      return;
    case 'hub-alert':
      await raiseAlerts(ctx, 'hub', [msg.alert]);
      return;
    case 'purge':
      await ctx.audio.delete(msg.key);
      return;
    case 'report':
      return generateReport(ctx, msg);
    case 'report-deliver':
      await deliverReport(ctx, msg);
      return;
  }
}

/**
 * queued → transcribing, then submit. A retry after a crash between the two finds the call
 * `transcribing` without a transcript id and submits again; a call already past this step is
 * left alone.
 */
async function transcribe(ctx: StepContext, tenantId: string, callId: string) {
  const [[call]] = await ctx.db.run((q) => [
    q
      .update(calls)
      .set({ status: 'transcribing' })
      .where(
        and(
          eq(calls.id, callId),
          or(eq(calls.status, 'queued'), and(eq(calls.status, 'transcribing'), sql`${calls.transcriptId} is null`)),
        ),
      )
      .returning({ key: calls.audioKey, channels: calls.audioChannels }),
  ]);
  if (!call) return;
  const audioUrl = await presignR2(ctx.config, 'GET', call.key, AUDIO_URL_TTL_SECONDS);
  const webhookUrl = `${ctx.config.publicUrl}/webhooks/assemblyai?tenant=${encodeURIComponent(tenantId)}&call=${encodeURIComponent(callId)}`;
  const transcriptId = await submitTranscription(ctx.config, {
    audioUrl,
    webhookUrl,
    dualChannel: call.channels === 2,
  });
  await ctx.db.run((q) => [
    q
      .update(calls)
      .set({ transcriptId })
      .where(and(eq(calls.id, callId), eq(calls.status, 'transcribing'), sql`${calls.transcriptId} is null`)),
  ]);
  await ctx.pipeline.send(
    { step: 'collect', tenant_id: tenantId, call_id: callId, via: 'poll', poll: 1 },
    ctx.config.pipeline.pollDelaySeconds,
  );
}

/** transcribing → transcribed, from AssemblyAI's webhook or the poll, whichever comes first. */
async function collect(ctx: StepContext, msg: Extract<PipelineMessage, { step: 'collect' }>) {
  const [[call]] = await ctx.db.run((q) => [
    q
      .select({ status: calls.status, transcriptId: calls.transcriptId, channels: calls.audioChannels })
      .from(calls)
      .where(eq(calls.id, msg.call_id)),
  ]);
  if (!call || call.status !== 'transcribing') return;
  if (!call.transcriptId) throw new Error('transcription not submitted yet');

  const transcript = await fetchTranscript(ctx.config, call.transcriptId);
  if (transcript.status === 'error')
    throw new PermanentFailure(`transcription failed: ${transcript.error ?? 'unknown error'}`);
  if (transcript.status !== 'completed') {
    const poll = msg.poll ?? 0;
    if (msg.via === 'poll') {
      if (poll >= MAX_POLLS) throw new PermanentFailure(`transcription did not complete after ${MAX_POLLS} polls`);
      await ctx.pipeline.send({ ...msg, poll: poll + 1 }, ctx.config.pipeline.pollDelaySeconds);
    }
    return;
  }

  const { utterances, roles } = toUtterances(transcript, call.channels === 2);
  const [, moved] = await ctx.db.run((q) => [
    q
      .insert(transcripts)
      .values({
        callId: msg.call_id,
        tenantId: msg.tenant_id,
        providerId: transcript.id,
        languageCode: transcript.language_code ?? null,
        text: transcript.text ?? '',
        utterances,
        durationSeconds: transcript.audio_duration ? Math.round(transcript.audio_duration) : null,
        confidence: transcript.confidence?.toString() ?? null,
        speakerRoles: roles,
      })
      .onConflictDoNothing(),
    q
      .update(calls)
      .set({
        status: 'transcribed',
        durationSeconds: transcript.audio_duration ? Math.round(transcript.audio_duration) : null,
      })
      .where(and(eq(calls.id, msg.call_id), eq(calls.status, 'transcribing')))
      .returning({ id: calls.id }),
  ]);
  if (moved.length)
    await ctx.pipeline.send({
      step: 'evaluate',
      tenant_id: msg.tenant_id,
      call_id: msg.call_id,
      run_key: 'pipeline',
    });
}

/**
 * Dual-channel recordings put the agent on channel 1 and the customer on channel 2 (Twilio's
 * and most dialers' convention); otherwise the first speaker is taken for the agent, who
 * answers the call. Managers can correct labels later (PUT .../transcription).
 */
export function toUtterances(
  t: Transcript,
  dualChannel: boolean,
): { utterances: Utterance[]; roles: Record<string, 'agent' | 'customer'> } {
  const list = t.utterances ?? [];
  const sentiments = t.sentiment_analysis_results ?? [];
  const roles: Record<string, 'agent' | 'customer'> = {};
  const firstSpeaker = list[0]?.speaker;
  const utterances = list.map((u) => {
    const channel = (u as { channel?: string | null }).channel;
    const speaker = dualChannel && channel ? channel : u.speaker;
    const role: 'agent' | 'customer' =
      dualChannel && channel
        ? channel === '1'
          ? 'agent'
          : 'customer'
        : speaker === firstSpeaker
          ? 'agent'
          : 'customer';
    roles[speaker] = role;
    const sentiment = sentiments.find((s) => s.start >= u.start && s.start < u.end)?.sentiment ?? null;
    return { speaker, role, text: u.text, start_ms: u.start, end_ms: u.end, confidence: u.confidence, sentiment };
  });
  return { utterances, roles };
}

/**
 * transcribed → evaluating → completed (or awaiting_review). The evaluation, its insights, its
 * criterion results (the previous scoring's retired), the call's new state and its rollups are
 * written by one statement keyed by (call, run_key): a retried step or a duplicated message cannot
 * score a call twice.
 *
 * The set's grading mode decides what the scoring is worth at once: in `ai_auto` the model's score
 * is the score of record; in `ai_review` it is recorded but not released to the agent, and counts
 * nowhere until a manager reviews it; in `manual` no model is asked at all and the call waits for a
 * manager to score it from its transcript (services/reviews.ts).
 */
async function evaluate(ctx: StepContext, msg: Extract<PipelineMessage, { step: 'evaluate' }>) {
  const initial = msg.run_key === 'pipeline';
  const [claimed, [call], [transcript], sets, criteria, templates, existing] = await ctx.db.run((q) => [
    initial
      ? q
          .update(calls)
          .set({ status: 'evaluating' })
          .where(and(eq(calls.id, msg.call_id), inArray(calls.status, ['transcribed', 'evaluating'])))
          .returning({ id: calls.id })
      : q.select({ id: calls.id }).from(calls).where(eq(calls.id, msg.call_id)),
    q.select({ criteriaSetId: calls.criteriaSetId }).from(calls).where(eq(calls.id, msg.call_id)),
    q.select({ utterances: transcripts.utterances }).from(transcripts).where(eq(transcripts.callId, msg.call_id)),
    q.select().from(criteriaSets),
    q.select().from(evaluationCriteria).orderBy(asc(evaluationCriteria.name)),
    q.select().from(complianceTemplates),
    q.execute(sql`select id from evaluations where call_id = ${msg.call_id} and run_key = ${msg.run_key}`),
  ]);
  if (!claimed.length || !call) return;
  if (!transcript) throw new PermanentFailure('evaluation failed: the call has no transcript');
  // Scored already (a duplicate message, or a crash after the write): only make sure the next steps follow.
  const scoredAs = (existing.rows[0] as { id: string } | undefined)?.id;
  if (scoredAs) return followUp(ctx, msg, scoredAs);

  const { setId, setVersion, gradingMode, scoring } = criteriaFor(
    msg.criteria_set_id ?? call.criteriaSetId,
    sets,
    criteria,
  );
  const released = gradingMode === 'ai_auto';
  const requirements = requirementsFor(
    sets.find((s) => s.id === setId),
    templates,
  );
  let evaluation: Awaited<ReturnType<typeof evaluateTranscript>> | null = null;
  if (gradingMode !== 'manual') {
    try {
      evaluation = await evaluateTranscript(ctx.config, scoring, transcript.utterances, requirements);
    } catch (err) {
      if (err instanceof EvaluationRejected) throw new PermanentFailure(`evaluation failed: ${err.message}`);
      throw err;
    }
  }
  const result = evaluation?.result;
  const results = result
    ? scoring.map((c) => ({
        criterion_id: c.id,
        name: c.name,
        version: c.version,
        max_points: c.max_points,
        auto_fail: c.auto_fail,
        ...result.criteria[c.id],
      }))
    : [];
  // The same results as rows, for the readers that aggregate them (coaching, analytics, the score
  // itself). A manual set's rows wait, unscored, for the manager's review.
  const criterionRows = JSON.stringify(
    scoring.map((c) => {
      const r = result?.criteria[c.id];
      return {
        criterion_id: c.id,
        criterion_name: c.name,
        category: c.category,
        score: r?.score ?? null,
        max_points: c.max_points,
        passed: r?.passed ?? null,
        auto_failed: r ? c.auto_fail && r.auto_fail_triggered : null,
      };
    }),
  );
  const rowsOf = sql`jsonb_to_recordset(${criterionRows}::jsonb)
    as x(criterion_id text, criterion_name text, category text, score int, max_points int, passed boolean, auto_failed boolean)`;
  const evaluationId = crypto.randomUUID();
  const compliance = JSON.stringify(result ? complianceItems(requirements, result) : []);
  const sentiment = (result?.sentiment as { overall?: string } | undefined)?.overall ?? null;
  const tenant = msg.tenant_id;
  await ctx.db.run((q) => [
    q.execute(lockCall(msg.call_id)),
    q.execute(sql`
      with ai as (
        select s.score, s.auto_failed from qa_overall_score(${criterionRows}::jsonb) s where ${!!result}::boolean
      ),
      ev as (
        insert into evaluations (id, tenant_id, call_id, run_key, criteria_set_id, criteria_set_version, criteria_snapshot, grading_mode,
                                 overall_score, auto_failed, results, compliance, sentiment, customer_behavior, summary, model,
                                 transcript_truncated, requested_by, released_at)
        values (${evaluationId}, ${tenant}, ${msg.call_id}, ${msg.run_key}, ${setId}::uuid, ${setVersion}::int, ${JSON.stringify(scoring)}::jsonb, ${gradingMode},
                (select score from ai), (select auto_failed from ai), ${JSON.stringify(results)}::jsonb, ${compliance}::jsonb,
                ${JSON.stringify(result?.sentiment ?? {})}::jsonb, ${JSON.stringify(result?.customer_behavior ?? {})}::jsonb, ${result?.summary ?? ''},
                ${evaluation?.model ?? null}, ${evaluation?.truncated ?? false}, ${msg.requested_by ?? null},
                case when ${released}::boolean then now() end)
        on conflict (tenant_id, call_id, run_key) do nothing
        returning id
      ),
      added as (
        insert into insights (tenant_id, call_id, evaluation_id, type, category, title, severity, suggestions)
        select ${tenant}, ${msg.call_id}, ev.id, x.type, x.category, x.title, x.severity, x.suggestions
        from ev, jsonb_to_recordset(${JSON.stringify(result?.insights ?? [])}::jsonb) as x(type text, category text, title text, severity text, suggestions text[])
        returning 1
      ),
      scored as (
        insert into criterion_results (tenant_id, evaluation_id, call_id, agent_id, criterion_id, criterion_name, category, score,
                                       max_points, passed, auto_failed, released)
        select ${tenant}, ev.id, ${msg.call_id}, (select c.agent_id from calls c where c.id = ${msg.call_id}),
               x.criterion_id, x.criterion_name, x.category, x.score, x.max_points, x.passed, x.auto_failed, ${released}::boolean
        from ev, ${rowsOf}
        returning 1
      ),
      -- The statement's snapshot does not hold the rows inserted above: only earlier scorings retire.
      retired as (
        update criterion_results set current = false
        where call_id = ${msg.call_id} and current and exists (select 1 from ev)
        returning evaluation_id, criterion_id, criterion_name, effective_score, max_points, effective_passed, released
      ),
      superseded as (
        update evaluations set current = false
        where call_id = ${msg.call_id} and current and exists (select 1 from ev)
        returning id
      ),
      moved as (
        update calls set status = ${released ? 'completed' : 'awaiting_review'},
                         overall_score = case when ${released}::boolean then (select score from ai) end, failure_reason = null
        where id = ${msg.call_id} and exists (select 1 from ev) and (status = 'evaluating' or ${!initial})
        returning id
      ),
      -- The rollups move only when this statement recorded the evaluation (a duplicate message finds
      -- ev empty and counts nothing), and count a scoring only once it is released: until then the
      -- call counts as received, and what its previous scoring added is taken back.
      ${factBase(tenant, msg.call_id)},
      ${moveCallFacts(
        tenant,
        msg.call_id,
        sql`select b.day, b.agent_id, ${released}::boolean as scored, false as failed,
                   case when ${released}::boolean then ai.score end as score,
                   ${released}::boolean and not ai.auto_failed and ai.score >= analytics_passing_score(${tenant}) as passed,
                   ${released}::boolean and ai.auto_failed as auto_failed,
                   ${released}::boolean and analytics_compliant(${compliance}::jsonb) as compliant,
                   case when ${released}::boolean then ${sentiment}::text end as sentiment
            from fact_base b left join ai on true where exists (select 1 from moved)`,
        sql`exists (select 1 from moved)`,
      )},
      ${moveCriterionFacts(
        tenant,
        sql`select criterion_id, criterion_name, effective_score as score, max_points, effective_passed as passed
            from retired where released`,
        sql`select x.criterion_id, x.criterion_name, x.score, x.max_points, x.passed from ev, ${rowsOf} where ${released}::boolean`,
      )},
      -- Compliance moves from the evaluation whose criterion results this one retired.
      ${moveRequirementFacts(
        tenant,
        sql`select e.compliance from evaluations e where e.id in (select evaluation_id from retired where released)`,
        sql`select ${compliance}::jsonb as compliance from ev where ${released}::boolean`,
      )}
      select count(*) from moved`),
  ]);
  await followUp(ctx, msg, evaluationId);
}

/** What follows a recorded evaluation: its alerts, and the coaching rules for its agent. Both are idempotent. */
async function followUp(ctx: StepContext, msg: { tenant_id: string; call_id: string }, evaluationId: string) {
  await ctx.pipeline.send({ step: 'alerts', tenant_id: msg.tenant_id, call_id: msg.call_id });
  await ctx.pipeline.send({
    step: 'coaching',
    tenant_id: msg.tenant_id,
    call_id: msg.call_id,
    evaluation_id: evaluationId,
  });
}

type SetRow = { id: string; criteriaIds: string[]; isDefault: boolean; version: number; gradingMode: GradingMode };
type CriterionRow = typeof evaluationCriteria.$inferSelect;

/**
 * The criteria a call is scored on: the set named for it, else the tenant's default set, else all
 * its active criteria, else the platform templates (the last two in `ai_auto`). The versions
 * scored with are kept.
 */
export function criteriaFor(setId: string | null | undefined, sets: SetRow[], criteria: CriterionRow[]) {
  const set = (setId ? sets.find((s) => s.id === setId) : undefined) ?? sets.find((s) => s.isDefault);
  const byId = new Map(criteria.map((c) => [c.id, c]));
  const chosen = set
    ? set.criteriaIds.map((id) => byId.get(id)).filter((c): c is CriterionRow => !!c)
    : criteria.filter((c) => c.isActive);
  const scoring: CriterionForScoring[] = chosen.length
    ? chosen.map((c) => ({
        id: c.id,
        name: c.name,
        description: c.description,
        category: c.category,
        max_points: c.maxPoints,
        auto_fail: c.autoFail,
        evaluation_prompts: c.evaluationPrompts,
        version: c.version,
      }))
    : CRITERIA_TEMPLATES.map((t) => ({
        id: t.key,
        name: t.name,
        description: t.description,
        category: t.category,
        max_points: t.default_points,
        auto_fail: t.auto_fail,
        evaluation_prompts: [...t.evaluation_prompts],
        version: 1,
      }));
  return {
    setId: set?.id ?? null,
    setVersion: set?.version ?? null,
    gradingMode: set?.gradingMode ?? ('ai_auto' as const),
    scoring,
  };
}

/** Moves a call to `failed` unless it already finished (its rollups with it), and raises the alert that says so. */
export async function markFailed(ctx: StepContext, tenantId: string, callId: string, reason: string) {
  const [, failed] = await ctx.db.run((q) => [
    q.execute(lockCall(callId)),
    q.execute(failCallStatement(tenantId, callId, reason.slice(0, 500))),
  ]);
  if (failed.rows.length) await alertForFailedCall(ctx, tenantId, callId, reason);
}
