/** The knobs tests and benchmarks turn. Rates are shares in [0, 1]; 0 and 1 are deterministic. */
import { z } from 'zod';

const rate = z.number().min(0).max(1);

const BehaviourUpdate = z
  .object({
    /** Added before every /v1 answer, in ms. */
    latencyMs: z.number().finite().min(0),
    /** Share of /v1 requests answered with an HTTP error instead of a completion. */
    httpErrorRate: rate,
    /** Which error those are; unset: 500 and 429, half each. */
    httpErrorStatus: z.union([z.literal(429), z.literal(500)]).nullable(),
    /** Share of completions where the model declines (`message.refusal`, no content). */
    refusalRate: rate,
    /** Share of completions cut off at the token limit (`finish_reason: "length"`). */
    truncationRate: rate,
    /** When set, requests must carry `Authorization: Bearer <apiKey>`; null (from JSON) clears it. */
    apiKey: z.string().nullable(),
  })
  .partial()
  .strict();

export type OpenAIBehaviour = {
  latencyMs: number;
  httpErrorRate: number;
  httpErrorStatus?: 429 | 500 | undefined;
  refusalRate: number;
  truncationRate: number;
  apiKey?: string | undefined;
};

export const DEFAULT_BEHAVIOUR: OpenAIBehaviour = {
  latencyMs: 50,
  httpErrorRate: 0,
  refusalRate: 0,
  truncationRate: 0,
};

/** Applies a checked partial update; the message names the offending setting. */
export function mergeBehaviour(current: OpenAIBehaviour, update: unknown): OpenAIBehaviour {
  const parsed = BehaviourUpdate.safeParse(update);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`behaviour ${issue.path.join('.') || 'update'}: ${issue.message}`);
  }
  const next: OpenAIBehaviour = { ...current };
  for (const [key, value] of Object.entries(parsed.data)) {
    // Only the optional settings can be cleared; an undefined number means "leave it".
    const clearable = key === 'apiKey' || key === 'httpErrorStatus';
    if (value !== undefined || clearable) Object.assign(next, { [key]: value ?? undefined });
  }
  return next;
}

/** Behaviour from OPENAI_* environment variables, for the CLI. */
export function behaviourFromEnv(env: Record<string, string | undefined>): Partial<OpenAIBehaviour> {
  const out: Partial<OpenAIBehaviour> = {};
  if (env['OPENAI_LATENCY_MS']) out.latencyMs = Number(env['OPENAI_LATENCY_MS']);
  if (env['OPENAI_HTTP_ERROR_RATE']) out.httpErrorRate = Number(env['OPENAI_HTTP_ERROR_RATE']);
  if (env['OPENAI_REFUSAL_RATE']) out.refusalRate = Number(env['OPENAI_REFUSAL_RATE']);
  if (env['OPENAI_TRUNCATION_RATE']) out.truncationRate = Number(env['OPENAI_TRUNCATION_RATE']);
  if (env['OPENAI_API_KEY']) out.apiKey = env['OPENAI_API_KEY'];
  return out;
}

/** What /__config answers: the key itself is not echoed. */
export function describeBehaviour(b: OpenAIBehaviour): Record<string, unknown> {
  const { apiKey, ...rest } = b;
  return { ...rest, apiKeyRequired: apiKey !== undefined };
}
