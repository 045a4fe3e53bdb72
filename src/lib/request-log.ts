import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import type { AppEnv, ServiceContext } from '../context';
import { actorId } from '../service-context';
import { log, type LogFields } from './log';

/**
 * The route that answered, as registered (`/api/calls/:id`), so logs group by endpoint and never
 * carry ids or query strings. Null when nothing but middleware matched (a 404).
 */
export function matchedRoute(c: Context): string | null {
  const route = matchedRoutes(c)[c.req.routeIndex];
  return route && route.method !== 'ALL' ? route.path : null;
}

/** Who the request acts as, once known: the authenticated caller or the verified webhook. */
export function noteCaller(c: Context<AppEnv>, ctx: ServiceContext): void {
  c.set('caller', ctx);
}

/** The request's own fields, for any line logged about it. */
export function requestFields(c: Context<AppEnv>): LogFields {
  const caller = c.get('caller');
  return {
    request_id: c.get('requestId'),
    method: c.req.method,
    route: matchedRoute(c),
    ...(caller ? { tenant: caller.tenantId, actor: actorId(caller.actor) } : {}),
  };
}

/**
 * One line per request, written when it is answered: route pattern, status, duration, request id
 * and, once authentication or a webhook signature has established them, tenant and actor. No
 * headers, no query string, no body.
 */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  const status = c.res.status;
  (status >= 500 ? log.error : log.info)('request', {
    ...requestFields(c),
    status,
    duration_ms: Date.now() - started,
  });
});
