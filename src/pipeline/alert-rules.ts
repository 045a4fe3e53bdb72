import { eq, sql } from 'drizzle-orm';
import { calls, evaluations, settings, users } from '../db/schema';
import { pushToHub, raiseAlerts, type NewAlert } from '../services/alerts';
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
 * negative customer sentiment. Each is keyed by call and rule, so a retried step raises nothing
 * twice. Also pushes the live `call.scored` event that moves the hub's metrics.
 */
export async function alertsForScoredCall(ctx: ServiceContext, tenantId: string, callId: string) {
  const [[call], [evaluation], [qa]] = await ctx.db.run((q) => [
    q
      .select({ agentId: calls.agentId, teamId: users.teamId, departmentId: users.departmentId })
      .from(calls)
      .leftJoin(users, eq(users.id, calls.agentId))
      .where(eq(calls.id, callId)),
    q
      .select()
      .from(evaluations)
      .where(eq(evaluations.callId, callId))
      .orderBy(sql`${evaluations.createdAt} desc`)
      .limit(1),
    q.select({ values: settings.values }).from(settings).where(eq(settings.category, 'qa')),
  ]);
  if (!call || !evaluation) return;
  const threshold = Number(
    (qa?.values as { alert_below_score?: number; passing_score?: number } | undefined)?.alert_below_score ??
      DEFAULT_ALERT_SCORE,
  );
  const base = { entity_type: 'call', entity_id: callId, agent_id: call.agentId };
  const key = (rule: string) => `${callId}:${evaluation.runKey}:${rule}`;
  const raised: NewAlert[] = [];
  if (evaluation.autoFailed) {
    raised.push({
      ...base,
      type: 'auto_fail',
      severity: 'critical',
      title: 'Call auto-failed',
      description: 'A criterion marked auto-fail was triggered; the score is 0.',
      dedupe_key: key('auto_fail'),
    });
  } else if (evaluation.overallScore < threshold) {
    raised.push({
      ...base,
      type: 'low_score',
      severity: 'high',
      title: `Call scored ${evaluation.overallScore}, below ${threshold}`,
      description: evaluation.summary,
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
  await raiseAlerts(ctx, 'pipeline', raised);
  await pushToHub(ctx, {
    type: 'call.scored',
    data: {
      call_id: callId,
      overall_score: evaluation.overallScore,
      auto_failed: evaluation.autoFailed,
      compliant: violations.length === 0,
      agent_id: call.agentId,
    },
    agent_id: call.agentId,
    team_id: call.teamId,
    department_id: call.departmentId,
  });
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
