import { and, eq, sql } from 'drizzle-orm';
import { calls, evaluationReviews, evaluations, settings, users } from '../db/schema';
import { pushToHub, raiseAlerts, type NewAlert } from '../services/alerts';
import { effectiveOf } from '../services/reviews';
import type { ServiceContext } from '../context';

/** An item of an evaluation's `compliance`; the template fields exist when a template was judged. */
type ComplianceFinding = {
  requirement?: string;
  met?: boolean;
  requirement_key?: string;
  title?: string | null;
  severity?: string;
  template_id?: string;
  template_name?: string;
  template_version?: number;
  reasoning?: string | null;
};

/** Below this overall score a call raises an alert, unless the tenant's `qa` settings say otherwise. */
export const DEFAULT_ALERT_SCORE = 60;

/**
 * The automatic alerts of a scored call: low score, auto-fail, compliance violation, strongly
 * negative customer sentiment, judged on its effective score (a review's, else the model's). Each
 * is keyed by call and rule, so a retried step raises nothing twice. Also pushes the live event:
 * `call.scored` once the model scored it (this moves the hub's metrics), `call.reviewed` once a
 * human did.
 *
 * An evaluation held back for review raises nothing yet, and its `call.scored` is addressed to no
 * agent (the data still names the agent for managers): the agent must not learn its score, even
 * from an alert, before a human has reviewed it. The review's run of this step raises the alerts.
 */
export async function alertsForScoredCall(
  ctx: ServiceContext,
  tenantId: string,
  callId: string,
  trigger: 'scored' | 'reviewed' = 'scored',
) {
  const [[call], [evaluation], [qa], [review]] = await ctx.db.run((q) => [
    q
      .select({ agentId: calls.agentId, teamId: users.teamId, departmentId: users.departmentId })
      .from(calls)
      .leftJoin(users, eq(users.id, calls.agentId))
      .where(eq(calls.id, callId)),
    q
      .select()
      .from(evaluations)
      .where(and(eq(evaluations.callId, callId), eq(evaluations.current, true))),
    q.select({ values: settings.values }).from(settings).where(eq(settings.category, 'qa')),
    q
      .select()
      .from(evaluationReviews)
      .where(
        sql`${evaluationReviews.evaluationId} = (select e.id from ${evaluations} e where e.call_id = ${callId}::uuid and e.current)`,
      ),
  ]);
  if (!call || !evaluation) return;
  const released = evaluation.releasedAt !== null;
  const effective = effectiveOf(evaluation, review);
  const placement = { agent_id: call.agentId, team_id: call.teamId, department_id: call.departmentId };
  if (effective) await raiseAlerts(ctx, 'pipeline', alertsFor(callId, evaluation, effective, qa?.values, call.agentId));
  if (trigger === 'scored' && evaluation.overallScore !== null) {
    const violations = (evaluation.compliance as ComplianceFinding[]).filter((c) => c.met === false);
    await pushToHub(ctx, {
      type: 'call.scored',
      data: {
        call_id: callId,
        overall_score: evaluation.overallScore,
        auto_failed: evaluation.autoFailed,
        compliant: violations.length === 0,
        agent_id: call.agentId,
        awaiting_review: !released,
      },
      ...placement,
      agent_id: released ? call.agentId : null,
    });
  }
  if (trigger === 'reviewed' && review)
    await pushToHub(ctx, {
      type: 'call.reviewed',
      data: {
        call_id: callId,
        evaluation_id: evaluation.id,
        overall_score: review.overallScore,
        auto_failed: review.autoFailed,
        model_score: evaluation.overallScore,
        agent_id: call.agentId,
      },
      ...placement,
    });
}

function alertsFor(
  callId: string,
  evaluation: typeof evaluations.$inferSelect,
  effective: NonNullable<ReturnType<typeof effectiveOf>>,
  qaSettings: unknown,
  agentId: string | null,
): NewAlert[] {
  const threshold = Number(
    (qaSettings as { alert_below_score?: number; passing_score?: number } | undefined)?.alert_below_score ??
      DEFAULT_ALERT_SCORE,
  );
  const base = { entity_type: 'call', entity_id: callId, agent_id: agentId };
  const key = (rule: string) => `${callId}:${evaluation.runKey}:${rule}`;
  const raised: NewAlert[] = [];
  if (effective.auto_failed) {
    raised.push({
      ...base,
      type: 'auto_fail',
      severity: 'critical',
      title: 'Call auto-failed',
      description: 'A criterion marked auto-fail was triggered; the score is 0.',
      dedupe_key: key('auto_fail'),
    });
  } else if (effective.overall_score < threshold) {
    raised.push({
      ...base,
      type: 'low_score',
      severity: 'high',
      title: `Call scored ${effective.overall_score}, below ${threshold}`,
      description: evaluation.summary || null,
      dedupe_key: key('low_score'),
    });
  }
  const items = evaluation.compliance as ComplianceFinding[];
  const violations = items.filter((c) => c.met === false);
  // A template's requirement raises its own alert at high or critical severity, keyed by call and
  // requirement, not by run: a re-analysis that finds the same violation raises nothing new.
  for (const v of violations) {
    if (!v.requirement_key || (v.severity !== 'high' && v.severity !== 'critical')) continue;
    raised.push({
      ...base,
      type: 'compliance_violation',
      severity: v.severity,
      title: `Compliance requirement missed: ${v.title ?? v.requirement_key}`,
      description: `${v.template_name} (version ${v.template_version}), ${v.requirement_key}: ${v.requirement}${v.reasoning ? ` ${v.reasoning}` : ''}`,
      dedupe_key: `${callId}:compliance:${v.template_id}:${v.requirement_key}`,
    });
  }
  // The free-form list of a call judged without templates: one alert per scoring, as before.
  const loose = violations.filter((v) => !v.requirement_key);
  if (loose.length) {
    raised.push({
      ...base,
      type: 'compliance_violation',
      severity: 'critical',
      title: 'Compliance requirement missed',
      description: loose.map((v) => v.requirement).join('; '),
      dedupe_key: key('compliance'),
    });
  }
  if ((evaluation.sentiment as { customer?: string }).customer === 'negative') {
    raised.push({
      ...base,
      type: 'negative_sentiment',
      severity: 'medium',
      title: 'Strongly negative customer sentiment',
      description: evaluation.summary,
      dedupe_key: key('sentiment'),
    });
  }
  return raised;
}

/** A call the pipeline gave up on is an alert too. */
export async function alertForFailedCall(ctx: ServiceContext, tenantId: string, callId: string, reason: string) {
  const [[call]] = await ctx.db.run((q) => [
    q.select({ agentId: calls.agentId }).from(calls).where(eq(calls.id, callId)),
  ]);
  await raiseAlerts(ctx, 'pipeline', [
    {
      type: 'processing_failed',
      severity: 'high',
      entity_type: 'call',
      entity_id: callId,
      agent_id: call?.agentId ?? null,
      title: 'A call could not be processed',
      description: reason,
      dedupe_key: `${callId}:processing_failed`,
    },
  ]);
}
