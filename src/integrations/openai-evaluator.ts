import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import type { Config } from '../env';
import type { Utterance } from '../db/schema';
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

/** The model's answer is checked against a schema built from the call's own criteria. */
export function evaluationSchema(criteria: CriterionForScoring[]) {
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
    compliance: z
      .array(z.object({ requirement: z.string(), met: z.boolean(), evidence: z.string().nullable() }))
      .max(20),
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

export type ModelEvaluation = z.infer<ReturnType<typeof evaluationSchema>>;

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
Speaker A is the agent unless the transcript labels speakers.`;

export async function evaluateTranscript(
  config: Config,
  criteria: CriterionForScoring[],
  utterances: Utterance[],
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
  try {
    const completion = await client.chat.completions.parse({
      model: config.openai.model,
      temperature: 0,
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        {
          role: 'user',
          content: `Criteria:\n\`\`\`json\n${JSON.stringify(criteriaBlock, null, 2)}\n\`\`\`\n\nTranscript:\n${text}`,
        },
      ],
      response_format: zodResponseFormat(evaluationSchema(criteria), 'call_evaluation'),
    });
    const message = completion.choices[0]?.message;
    if (message?.refusal) throw new EvaluationRejected(`the model refused to evaluate the call: ${message.refusal}`);
    if (!message?.parsed) throw new EvaluationRejected('the model returned no evaluation');
    return { result: message.parsed, truncated, model: completion.model };
  } catch (err) {
    const why = unusableAnswer(err, 'evaluation');
    if (why) throw new EvaluationRejected(why);
    throw err;
  }
}

/** Overall 0-100 from the criterion scores; any triggered auto-fail makes it 0. */
export function overallScore(
  criteria: CriterionForScoring[],
  result: ModelEvaluation,
): { score: number; autoFailed: boolean } {
  let earned = 0;
  let possible = 0;
  let autoFailed = false;
  for (const c of criteria) {
    const r = result.criteria[c.id];
    if (!r) continue;
    earned += Math.min(r.score, c.max_points);
    possible += c.max_points;
    if (c.auto_fail && r.auto_fail_triggered) autoFailed = true;
  }
  return { score: autoFailed || possible === 0 ? 0 : Math.round((earned / possible) * 100), autoFailed };
}
