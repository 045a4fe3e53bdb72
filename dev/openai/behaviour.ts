/** The knobs tests and benchmarks turn. Rates are shares in [0, 1]; 0 and 1 are deterministic. */
export interface OpenAIBehaviour {
  /** Added before every /v1 answer, in ms. */
  latencyMs: number;
  /** Share of /v1 requests answered 500 or 429 (half each). */
  httpErrorRate: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
}

export const DEFAULT_BEHAVIOUR: OpenAIBehaviour = { latencyMs: 50, httpErrorRate: 0 };

/** Applies a checked partial update; `apiKey: null` (from JSON) clears the key. */
export function mergeBehaviour(current: OpenAIBehaviour, update: unknown): OpenAIBehaviour {
  if (typeof update !== 'object' || update === null || Array.isArray(update))
    throw new Error('behaviour must be an object');
  const next: OpenAIBehaviour = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (key === 'latencyMs') {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        throw new Error('latencyMs must be a number >= 0');
      next.latencyMs = value;
    } else if (key === 'httpErrorRate') {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1))
        throw new Error('httpErrorRate must be a number between 0 and 1');
      next.httpErrorRate = value;
    } else if (key === 'apiKey') {
      if (value !== undefined && value !== null && typeof value !== 'string')
        throw new Error('apiKey must be a string or null');
      next.apiKey = value ?? undefined;
    } else {
      throw new Error(`unknown behaviour setting ${key}`);
    }
  }
  return next;
}

/** Behaviour from OPENAI_* environment variables, for the CLI. */
export function behaviourFromEnv(env: Record<string, string | undefined>): Partial<OpenAIBehaviour> {
  const out: Partial<OpenAIBehaviour> = {};
  if (env['OPENAI_LATENCY_MS']) out.latencyMs = Number(env['OPENAI_LATENCY_MS']);
  if (env['OPENAI_HTTP_ERROR_RATE']) out.httpErrorRate = Number(env['OPENAI_HTTP_ERROR_RATE']);
  if (env['OPENAI_API_KEY']) out.apiKey = env['OPENAI_API_KEY'];
  return out;
}

/** What /__config answers: the key itself is not echoed. */
export function describeBehaviour(b: OpenAIBehaviour): Record<string, unknown> {
  const { apiKey, ...rest } = b;
  return { ...rest, apiKeyRequired: apiKey !== undefined };
}
