import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import type { Config } from '../env';
import type { RegulationType, RequirementSeverity, Utterance } from '../db/schema';
import { openaiClient, unusableAnswer } from './openai-client';

/** A criterion as the model sees it (and as the evaluation keeps it: the scored version). */
export interface CriterionForScoring {
  id: string;
  name: string;
  description: string | null;
  category: string;
  max_points: number;
  auto_fail: boolean;
  evaluation_prompts: string[];
  version: number;
}

/**
 * A compliance template's requirement as the model judges it. `id` (template id / key) names its
 * answer; the rest is kept with the result, so it shows the version it was judged against.
 */
export interface RequirementForScoring {
  id: string;
  template_id: string;
  template_name: string;
  template_version: number;
  regulation_type: RegulationType;
  key: string;
  title: string | null;
  text: string;
  severity: RequirementSeverity;
  must_say: string[];
  must_not_say: string[];
}

export const REQUIREMENT_STATUSES = ['met', 'not_met', 'not_applicable'] as const;

const requirementResult = z.object({
  status: z.enum(REQUIREMENT_STATUSES),
  evidence: z.array(z.object({ quote: z.string(), start_seconds: z.number().min(0) })).max(5),
  reasoning: z.string(),
});
export type RequirementResult = z.infer<typeof requirementResult>;

/** The free-form compliance list, asked for only when no template names the requirements. */
const looseCompliance = z
  .array(z.object({ requirement: z.string(), met: z.boolean(), evidence: z.string().nullable() }))
  .max(20);

export type ModelEvaluation = Omit<z.infer<ReturnType<typeof baseSchema>>, 'compliance'> & {
  compliance?: z.infer<typeof looseCompliance>;
  requirements?: Record<string, RequirementResult>;
};

/**
 * The model's answer is checked against a schema built from the call's own criteria and, when
 * compliance templates apply, one answer per requirement in place of the free-form list.
 */
export function evaluationSchema(
  criteria: CriterionForScoring[],
  requirements: RequirementForScoring[] = [],
): z.ZodType<ModelEvaluation> {
  const base = baseSchema(criteria);
  if (!requirements.length) return base;
  return base
    .omit({ compliance: true })
    .extend({ requirements: z.object(Object.fromEntries(requirements.map((r) => [r.id, requirementResult]))) });
}

function baseSchema(criteria: CriterionForScoring[]) {
  const criterionResult = (c: CriterionForScoring) =>
    z.object({
      score: z.number().int().min(0).max(c.max_points),
      passed: z.boolean(),
      auto_fail_triggered: z.boolean(),
      evidence: z.array(z.object({ quote: z.string(), start_seconds: z.number().min(0) })).max(5),
      reasoning: z.string(),
    });
  return z.object({
    criteria: z.object(Object.fromEntries(criteria.map((c) => [c.id, criterionResult(c)]))),
    compliance: looseCompliance,
    sentiment: z.object({
      overall: z.enum(['positive', 'neutral', 'negative']),
      customer: z.enum(['positive', 'neutral', 'negative']),
      agent: z.enum(['positive', 'neutral', 'negative']),
      trajectory: z.enum(['improving', 'stable', 'worsening']),
    }),
    customer_behavior: z.object({
      emotions: z.array(z.string()).max(5),
      escalation_requested: z.boolean(),
      churn_risk: z.enum(['low', 'medium', 'high']),
    }),
    summary: z.string(),
    insights: z
      .array(
        z.object({
          type: z.enum(['coaching', 'compliance', 'customer', 'process']),
          category: z.string(),
          title: z.string(),
          severity: z.enum(['info', 'low', 'medium', 'high', 'critical']),
          suggestions: z.array(z.string()).max(5),
        }),
      )
      .max(10),
  });
}

/** Roughly 4 characters per token: keeps a long call inside the model's context with room to answer. */
export const MAX_TRANSCRIPT_CHARS = 60_000;

/** `[12.3s] Agent: text` lines; a long call keeps its beginning and end, and says so. */
export function transcriptForPrompt(utterances: Utterance[]): { text: string; truncated: boolean } {
  const lines = utterances.map(
    (u) =>
      `[${(u.start_ms / 1000).toFixed(1)}s] ${u.role === 'agent' ? 'Agent' : u.role === 'customer' ? 'Customer' : `Speaker ${u.speaker}`}: ${u.text}`,
  );
  const full = lines.join('\n');
  if (full.length <= MAX_TRANSCRIPT_CHARS) return { text: full, truncated: false };
  const half = MAX_TRANSCRIPT_CHARS / 2;
  return {
    text: `${full.slice(0, half)}\n[... middle of the call omitted for length ...]\n${full.slice(-half)}`,
    truncated: true,
  };
}

/** The model declined, cut off, or answered off-schema: retrying the same prompt will not help. */
export class EvaluationRejected extends Error {
  override name = 'EvaluationRejected';
}

const SYSTEM_PROMPT = `You are a quality-assurance analyst for a call center. Score the call transcript against each
criterion. For every criterion give an integer score from 0 to its max_points, whether it passed, whether an
auto-fail condition was triggered (only for criteria marked auto_fail), up to five short evidence quotes copied
verbatim from the transcript with the start time in seconds shown in brackets, and a one-sentence reasoning. Then
assess compliance requirements, sentiment, customer behaviour, a two-sentence summary, and actionable insights.
When compliance requirements are listed, judge each one by its id: met, not_met, or not_applicable when the
requirement says when it does not apply and the call is such a case; up to five evidence quotes copied verbatim
with their start times; and a one-sentence reasoning. Its must_say and must_not_say entries are examples of
wording that meets or violates it, not the only wording that does.
Speaker A is the agent unless the transcript labels speakers.`;

/** What the model is shown of a requirement: enough to judge it, nothing it could confuse with the call. */
export function requirementsBlock(requirements: RequirementForScoring[]) {
  return requirements.map((r) => ({
    id: r.id,
    regulation_type: r.regulation_type,
    template: r.template_name,
    title: r.title,
    requirement: r.text,
    severity: r.severity,
    must_say: r.must_say,
    must_not_say: r.must_not_say,
  }));
}

export async function evaluateTranscript(
  config: Config,
  criteria: CriterionForScoring[],
  utterances: Utterance[],
  requirements: RequirementForScoring[] = [],
): Promise<{ result: ModelEvaluation; truncated: boolean; model: string }> {
  const { text, truncated } = transcriptForPrompt(utterances);
  const client = openaiClient(config);
  const criteriaBlock = criteria.map(
    ({ id, name, description, category, max_points, auto_fail, evaluation_prompts }) => ({
      id,
      name,
      description,
      category,
      max_points,
      auto_fail,
      evaluation_prompts,
    }),
  );
  const compliance = requirements.length
    ? `Compliance requirements:\n\`\`\`json\n${JSON.stringify(requirementsBlock(requirements), null, 2)}\n\`\`\`\n\n`
    : '';
  try {
    const completion = await client.chat.completions.parse({
      model: config.openai.model,
      temperature: 0,
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        {
          role: 'user',
          content: `Criteria:\n\`\`\`json\n${JSON.stringify(criteriaBlock, null, 2)}\n\`\`\`\n\n${compliance}Transcript:\n${text}`,
        },
      ],
      response_format: zodResponseFormat(evaluationSchema(criteria, requirements), 'call_evaluation'),
    });
    const message = completion.choices[0]?.message;
    if (message?.refusal) throw new EvaluationRejected(`the model refused to evaluate the call: ${message.refusal}`);
    if (!message?.parsed) throw new EvaluationRejected('the model returned no evaluation');
    return { result: message.parsed as ModelEvaluation, truncated, model: completion.model };
  } catch (err) {
    const why = unusableAnswer(err, 'evaluation');
    if (why) throw new EvaluationRejected(why);
    throw err;
  }
}
