import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from '@hono/zod-openapi';
import type { DomainErrorCode, FieldError } from './errors';

/** RFC 9457 problem details. `type` is stable and documented; `request_id` ties it to logs. */
export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://qa-platform.dev/problems/validation-failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

export type ProblemType = DomainErrorCode | 'validation-failed' | 'malformed-json' | 'method-not-allowed' | 'internal';

const STATUS: Record<ProblemType, ContentfulStatusCode> = {
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  gone: 410,
  conflict: 409,
  invalid: 422,
  'validation-failed': 422,
  'malformed-json': 400,
  'unsupported-media-type': 415,
  'method-not-allowed': 405,
  'payload-too-large': 413,
  'too-many-requests': 429,
  'storage-quota-exceeded': 413,
  'user-limit-reached': 409,
  'idempotency-key-reused': 422,
  unavailable: 503,
  internal: 500,
};

const TITLE: Record<ProblemType, string> = {
  unauthenticated: 'Unauthenticated',
  forbidden: 'Forbidden',
  'not-found': 'Not found',
  gone: 'Gone',
  conflict: 'Conflict',
  invalid: 'Invalid request',
  'validation-failed': 'Validation failed',
  'malformed-json': 'Malformed JSON body',
  'unsupported-media-type': 'Unsupported media type',
  'method-not-allowed': 'Method not allowed',
  'payload-too-large': 'Payload too large',
  'too-many-requests': 'Too many requests',
  'storage-quota-exceeded': 'Storage quota exceeded',
  'user-limit-reached': 'User limit reached',
  'idempotency-key-reused': 'Idempotency-Key reused for a different request',
  unavailable: 'Service unavailable',
  internal: 'Internal server error',
};

export const PROBLEM_BASE = 'https://qa-platform.dev/problems/';

export function problem(
  c: Context,
  type: ProblemType,
  detail?: string,
  errors?: FieldError[],
  headers?: Record<string, string>,
  extensions?: Record<string, unknown>,
): Response {
  const status = STATUS[type];
  const body = {
    ...extensions,
    type: PROBLEM_BASE + type,
    title: TITLE[type],
    status,
    ...(detail ? { detail } : {}),
    request_id: c.get('requestId') as string | undefined,
    ...(errors?.length ? { errors } : {}),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

/** Error responses every protected route may answer, spread into each route's `responses`. */
export const problemResponses = Object.fromEntries(
  ([400, 401, 403, 404, 409, 413, 415, 422, 429, 503] as const).map((status) => [
    status,
    {
      description: TITLE[(Object.keys(STATUS) as ProblemType[]).find((k) => STATUS[k] === status)!],
      content: { 'application/problem+json': { schema: ProblemSchema } },
    },
  ]),
) as Record<
  400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503,
  { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }
>;
