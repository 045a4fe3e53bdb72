/**
 * What every structured-output feature shares: one way to build the client (the SDK retries
 * timeouts, 408/409/429 and 5xx itself), and one reading of the failures that a retry of the same
 * prompt will not fix.
 */
import OpenAI from 'openai';
import { APIError, ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/core/error';
import { z } from 'zod';
import type { Config } from '../env';

export function openaiClient(config: Config, opts: { maxRetries?: number; timeoutMs?: number } = {}): OpenAI {
  return new OpenAI({
    apiKey: config.openai.apiKey,
    baseURL: config.openai.baseUrl,
    maxRetries: opts.maxRetries ?? 1,
    timeout: opts.timeoutMs ?? 60_000,
  });
}

/**
 * Why the model's answer cannot be used, when it is a failure of the answer rather than of the
 * transport: cut off, stopped by the content filter, off-schema, or a request the API refuses
 * (4xx other than the retryable ones). Undefined for anything the caller should treat as
 * transient (network errors, 429 and 5xx once the SDK's retries are spent).
 */
export function unusableAnswer(err: unknown, what: string): string | undefined {
  if (err instanceof LengthFinishReasonError) return `the model ran out of output tokens before finishing the ${what}`;
  if (err instanceof ContentFilterFinishReasonError) return `the model's content filter stopped the ${what}`;
  if (err instanceof z.ZodError || err instanceof SyntaxError)
    return `the model's answer did not match the ${what} schema`;
  if (
    err instanceof APIError &&
    err.status !== undefined &&
    err.status >= 400 &&
    err.status < 500 &&
    err.status !== 408 &&
    err.status !== 409 &&
    err.status !== 429
  )
    return `the model API rejected the request (${err.status})`;
  return undefined;
}
