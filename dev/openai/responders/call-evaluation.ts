/**
 * `call_evaluation`: the evaluate step's request (`evaluateTranscript` in
 * src/integrations/openai-evaluator.ts). Its user message is
 *
 *     Criteria:
 *     ```json
 *     [{ "id", "name", "description", "category", "max_points", "auto_fail", "evaluation_prompts" }, ...]
 *     ```
 *
 *     Compliance requirements:          (only when compliance templates apply)
 *     ```json
 *     [{ "id", "regulation_type", "template", "title", "requirement", "severity", "must_say", "must_not_say" }, ...]
 *     ```
 *
 *     Transcript:
 *     [0.5s] Agent: ...
 *
 * and the answer follows the product's `evaluationSchema(criteria, requirements)`.
 */
import { z } from 'zod';
import {
  type CriterionForScoring,
  evaluationSchema,
  type ModelEvaluation,
  type RequirementForScoring,
} from '../../../src/integrations/openai-evaluator.ts';
import { REGULATION_TYPES, REQUIREMENT_SEVERITIES } from '../../../src/db/schema.ts';
import { judgeRequirement } from '../review/compliance.ts';
import { type CallReview, reviewCall, type Verdict } from '../review/review-call.ts';
import { parseTranscript } from '../review/transcript.ts';
import { PromptMismatch, type Responder } from './responder.ts';

const USER_MESSAGE =
  /^Criteria:\n```json\n([\s\S]*?)\n```\n\n(?:Compliance requirements:\n```json\n([\s\S]*?)\n```\n\n)?Transcript:\n([\s\S]*)$/;

/** The criteria block exactly as the product writes it; an extra or missing key is a format change. */
const CriteriaBlock = z.array(
  z.strictObject({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    category: z.string(),
    max_points: z.number().int().positive(),
    auto_fail: z.boolean(),
    evaluation_prompts: z.array(z.string()),
  }),
);

/** The requirements block exactly as the product writes it (`requirementsBlock`). */
const RequirementsBlock = z.array(
  z.strictObject({
    id: z.string(),
    regulation_type: z.enum(REGULATION_TYPES),
    template: z.string(),
    title: z.string().nullable(),
    requirement: z.string(),
    severity: z.enum(REQUIREMENT_SEVERITIES),
    must_say: z.array(z.string()),
    must_not_say: z.array(z.string()),
  }),
);

const COMPLIANCE_KINDS = new Set(['disclosure', 'verification', 'compliance']);
const MAX_INSIGHTS = 10;

export const callEvaluation: Responder = {
  respond(messages) {
    const user = messages.find((m) => m.role === 'user' && USER_MESSAGE.test(m.content));
    const [, criteriaJson, requirementsJson, transcript] = USER_MESSAGE.exec(user?.content ?? '') ?? [];
    if (criteriaJson === undefined || transcript === undefined)
      throw new PromptMismatch('no user message with a "Criteria:" json block followed by "Transcript:".');
    const parsed = CriteriaBlock.safeParse(tryJson(criteriaJson));
    if (!parsed.success) throw new PromptMismatch(`the criteria block: ${z.prettifyError(parsed.error)}`);
    // The prompt carries no version, and the schema depends only on ids and points.
    const criteria: CriterionForScoring[] = parsed.data.map((c) => ({ ...c, version: 0 }));
    const block = requirementsJson === undefined ? undefined : RequirementsBlock.safeParse(tryJson(requirementsJson));
    if (block && !block.success)
      throw new PromptMismatch(`the compliance requirements block: ${z.prettifyError(block.error)}`);
    // The schema depends only on the requirement ids; the rest is what the judgement reads.
    const requirements: RequirementForScoring[] = (block?.data ?? []).map((r) => ({
      id: r.id,
      template_id: '',
      template_name: r.template,
      template_version: 0,
      regulation_type: r.regulation_type,
      key: r.id,
      title: r.title,
      text: r.requirement,
      severity: r.severity,
      must_say: r.must_say,
      must_not_say: r.must_not_say,
    }));
    const utterances = parseTranscript(transcript);
    const review = reviewCall(
      utterances,
      criteria.map((c) => ({
        id: c.id,
        name: c.name,
        // The questions a manager wrote say what the criterion is about when the description does not.
        description: [c.description ?? '', ...c.evaluation_prompts].join(' '),
        maxPoints: c.max_points,
      })),
    );
    const answer = evaluation(review, criteria);
    if (!requirements.length) return { schema: evaluationSchema(criteria), answer };
    const { compliance: _judgedByRequirements, ...rest } = answer;
    return {
      schema: evaluationSchema(criteria, requirements),
      answer: {
        ...rest,
        requirements: Object.fromEntries((block?.data ?? []).map((r) => [r.id, judgeRequirement(utterances, r)])),
      },
    };
  },
};

function evaluation(review: CallReview, criteria: CriterionForScoring[]): ModelEvaluation {
  const byId = new Map(criteria.map((c) => [c.id, c]));
  const autoFail = (v: Verdict) => byId.get(v.criterion.id)!.auto_fail && !v.passed;
  const isCompliance = (v: Verdict) =>
    byId.get(v.criterion.id)!.category === 'compliance' || COMPLIANCE_KINDS.has(v.kind ?? '');
  const { customerSentiment: customer, agentSentiment: agent } = review;
  return {
    criteria: Object.fromEntries(
      review.verdicts.map((v) => [
        v.criterion.id,
        {
          score: v.score,
          passed: v.passed,
          auto_fail_triggered: autoFail(v),
          evidence: v.evidence.map((m) => ({ quote: m.quote, start_seconds: m.utterance.startSeconds })),
          reasoning: v.reasoning,
        },
      ]),
    ),
    compliance: review.verdicts
      .filter(isCompliance)
      .slice(0, 20)
      .map((v) => ({
        requirement: v.criterion.name,
        met: v.passed,
        evidence: v.passed ? (v.evidence[0]?.quote ?? null) : null,
      })),
    sentiment: {
      overall: customer === 'negative' || agent === 'negative' ? 'negative' : customer,
      customer,
      agent,
      trajectory: review.trajectory,
    },
    customer_behavior: {
      emotions: review.emotions,
      escalation_requested: review.escalation === 'asked for a supervisor',
      churn_risk: review.churnRisk,
    },
    summary: review.summary,
    insights: insights(review, isCompliance, autoFail).slice(0, MAX_INSIGHTS),
  };
}

type Insight = ModelEvaluation['insights'][number];

function insights(
  review: CallReview,
  isCompliance: (v: Verdict) => boolean,
  autoFail: (v: Verdict) => boolean,
): Insight[] {
  const out: Insight[] = [];
  if (review.escalation === 'asked for a supervisor') {
    out.push({
      type: 'customer',
      category: 'Escalation',
      title: 'Escalation requested',
      severity: 'high',
      suggestions: [
        'Offer a supervisor or a callback when a customer asks to escalate, and follow up on this customer.',
      ],
    });
  } else if (review.escalation === 'threatened to cancel') {
    out.push({
      type: 'customer',
      category: 'Retention',
      title: 'Churn risk',
      severity: 'high',
      suggestions: ['Follow up with a retention offer before the customer cancels.'],
    });
  }
  const failed = review.verdicts.filter((v) => !v.passed);
  const possible = review.verdicts.reduce((n, v) => n + v.criterion.maxPoints, 0);
  for (const v of failed.filter(isCompliance)) {
    out.push({
      type: 'compliance',
      category: 'Compliance',
      title: `Compliance: ${v.criterion.name}`,
      severity: autoFail(v) ? 'critical' : 'high',
      suggestions: [v.coaching],
    });
  }
  // Most points lost first: that is where coaching pays off most.
  const coaching = failed
    .filter((v) => !isCompliance(v))
    .sort((a, b) => b.criterion.maxPoints - b.score - (a.criterion.maxPoints - a.score));
  for (const v of coaching) {
    out.push({
      type: 'coaching',
      category: v.criterion.name,
      title: `Improve ${v.criterion.name.toLowerCase()}`,
      severity: (v.criterion.maxPoints - v.score) / Math.max(1, possible) >= 0.15 ? 'high' : 'medium',
      suggestions: [v.coaching],
    });
  }
  return out;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PromptMismatch('the criteria block is not valid JSON.');
  }
}
