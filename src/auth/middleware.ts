import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context';
import { Forbidden, Invalid, Unauthenticated } from '../lib/errors';
import { noteCaller } from '../lib/request-log';
import { serviceContext } from '../service-context';
import { tenantExists } from './known-tenants';
import { atLeast, type Role } from './roles';
import { TENANT_ID_PATTERN, verifyAccessToken } from './verify-access-token';

/**
 * Verifies the bearer token and puts `{ actor, tenantId, db }` on the context. The tenant is the
 * realm's; only a super admin may name another with `X-Tenant-Id` (ignored for everyone else).
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header);
  if (!match) throw new Unauthenticated();
  const config = c.get('config');
  const requestId = c.get('requestId');
  const actor = await verifyAccessToken(match[1]!, config, (tenant) => tenantExists(config, tenant, requestId));

  let tenantId = actor.homeTenant;
  if (actor.role === 'super_admin') {
    const named = c.req.header('x-tenant-id');
    if (named !== undefined) {
      if (!TENANT_ID_PATTERN.test(named))
        throw new Invalid('X-Tenant-Id is not a tenant id.', [
          { field: 'X-Tenant-Id', message: 'must be a tenant id such as "acme"' },
        ]);
      tenantId = named;
    }
  }
  const profile =
    actor.homeTenant && actor.email
      ? { email: actor.email, firstName: actor.firstName, lastName: actor.lastName }
      : null;
  c.set('actor', actor);
  const ctx = serviceContext(c.env, { actor, tenantId, requestId, profile });
  c.set('ctx', ctx);
  noteCaller(c, ctx);
  await next();
});

/** Allows the route to `role` and every role above it in the hierarchy. */
export function requireRole(role: Role) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!atLeast(c.get('actor').role, role)) throw new Forbidden();
    await next();
  });
}
