/**
 * The knobs tests and benchmarks turn to make the stand-in slow, flaky or strict. Rates are
 * shares in [0, 1]; 0 and 1 make the behaviour deterministic.
 */
export interface AssemblyAIBehaviour {
  /** Time from submit to a finished transcript, in ms. */
  latencyMs: number;
  /** Share of transcripts that end with status "error". */
  failureRate: number;
  /** Share of API requests (not the CDN, not /__*) answered 500. */
  httpErrorRate: number;
  /** Share of webhooks delivered twice, as AssemblyAI's at-least-once delivery can. */
  duplicateWebhookRate: number;
  /** When set, API requests must carry `Authorization: <apiKey>` (the raw key, no "Bearer"). */
  apiKey?: string | undefined;
}

export const DEFAULT_BEHAVIOUR: AssemblyAIBehaviour = {
  latencyMs: 300,
  failureRate: 0,
  httpErrorRate: 0,
  duplicateWebhookRate: 0,
};

const RATES = ['failureRate', 'httpErrorRate', 'duplicateWebhookRate'] as const;

/**
 * Applies a partial update, checking it first so a typo in a benchmark's /__config call fails
 * loudly instead of silently running with the old settings. `apiKey: null` (from JSON) clears it.
 */
export function mergeBehaviour(current: AssemblyAIBehaviour, update: unknown): AssemblyAIBehaviour {
  if (typeof update !== 'object' || update === null || Array.isArray(update))
    throw new Error('behaviour must be an object');
  const next: AssemblyAIBehaviour = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (key === 'latencyMs') {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        throw new Error('latencyMs must be a number >= 0');
      next.latencyMs = value;
    } else if ((RATES as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1))
        throw new Error(`${key} must be a number between 0 and 1`);
      next[key as (typeof RATES)[number]] = value;
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

/** Behaviour from ASSEMBLYAI_* environment variables, for the CLI. */
export function behaviourFromEnv(env: Record<string, string | undefined>): Partial<AssemblyAIBehaviour> {
  const out: Partial<AssemblyAIBehaviour> = {};
  const num = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : Number(env[name]));
  const latency = num('ASSEMBLYAI_LATENCY_MS');
  const failure = num('ASSEMBLYAI_FAILURE_RATE');
  const httpErrors = num('ASSEMBLYAI_HTTP_ERROR_RATE');
  const duplicates = num('ASSEMBLYAI_DUPLICATE_WEBHOOK_RATE');
  if (latency !== undefined) out.latencyMs = latency;
  if (failure !== undefined) out.failureRate = failure;
  if (httpErrors !== undefined) out.httpErrorRate = httpErrors;
  if (duplicates !== undefined) out.duplicateWebhookRate = duplicates;
  if (env['ASSEMBLYAI_API_KEY']) out.apiKey = env['ASSEMBLYAI_API_KEY'];
  return out;
}

/** What /__config answers: the key itself is not echoed. */
export function describeBehaviour(b: AssemblyAIBehaviour): Record<string, unknown> {
  const { apiKey, ...rest } = b;
  return { ...rest, apiKeyRequired: apiKey !== undefined };
}
