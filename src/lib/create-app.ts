import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../context';
import { ConfigurationError } from '../env';
import { DomainError, TooManyRequests } from './errors';
import { fieldErrors } from './field-errors';
import { log } from './log';
import { problem } from './problem';
import { requestFields } from './request-log';

/**
 * Every router is made here, so all of them share one validation hook: a request that does not
 * match its route's schema is answered 422 with the fields at fault, before the handler runs.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result, c) => {
      if (!result.success) {
        const where = result.target === 'json' ? 'body' : result.target;
        return problem(c, 'validation-failed', `The request ${where} is not valid.`, fieldErrors(result.error, where));
      }
    },
  });
}

/** The one place errors become responses. Nothing unexpected leaks: no stack, no SQL. */
export function handleError(err: Error, c: Parameters<Parameters<OpenAPIHono<AppEnv>['onError']>[0]>[1]): Response {
  if (err instanceof DomainError) {
    const headers: Record<string, string> = err.code === 'unauthenticated' ? { 'www-authenticate': 'Bearer' } : {};
    if (err instanceof TooManyRequests && err.retryAfter) headers['retry-after'] = String(err.retryAfter);
    return problem(c, err.code, err.message, err.detail?.errors, headers, err.detail?.extensions);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status === 400) return problem(c, 'malformed-json', 'The request body is not valid JSON.');
    if (status === 413) return problem(c, 'payload-too-large', 'The request body is too large.');
    if (status === 401) return problem(c, 'unauthenticated', 'A valid bearer token is required.');
  }
  // Logged with its stack (and the request's id, route and caller); answered without either.
  if (err instanceof ConfigurationError)
    log.error('invalid configuration', { ...requestFields(c), error: err.message });
  else log.error('unexpected error', { ...requestFields(c), error: err });
  return problem(c, 'internal', 'Something went wrong on our side.');
}
