/** What every admin REST route shares: who may call it, the realm and user it names, and body parsing. */
import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { acceptAccessToken, bearerToken } from './bearer.ts';
import type { ServerDeps } from './deps.ts';
import { adminError, adminErrorMessage } from './errors.ts';
import { readJson } from './forms.ts';
import type { StoredRealm, StoredUser } from './model.ts';
import { effectiveRealmRoles } from './roles.ts';
import { findUserById } from './users.ts';

export const ADMIN_REALM = 'master';
const ADMIN_ROLE = 'admin';

/**
 * Lets through only callers holding a master-realm access token whose user currently has the `admin`
 * realm role (Keycloak evaluates admin permissions on current role mappings, not token claims).
 */
export function requireAdmin(deps: ServerDeps): MiddlewareHandler {
  return async (c, next) => {
    const unauthorized = adminError(401, 'HTTP 401 Unauthorized');
    const token = bearerToken(c.req.header('authorization'));
    const master = deps.store.get(ADMIN_REALM);
    if (!token || !master) throw unauthorized;
    const accepted = await acceptAccessToken(deps, master, token);
    if (!accepted) throw unauthorized;
    if (!effectiveRealmRoles(master, accepted.user).includes(ADMIN_ROLE)) throw adminError(403, 'HTTP 403 Forbidden');
    await next();
  };
}

export function realmFor(deps: ServerDeps, c: Context): StoredRealm {
  const realm = deps.store.get(c.req.param('realm') ?? '');
  if (!realm) throw adminError(404, 'Realm not found.');
  return realm;
}

export function userFor(realm: StoredRealm, c: Context): StoredUser {
  const user = findUserById(realm, c.req.param('id') ?? '');
  if (!user) throw adminError(404, 'User not found');
  return user;
}

export async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  const result = schema.safeParse(await readJson(c));
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw adminErrorMessage(400, detail);
  }
  return result.data;
}

export function created(c: Context, deps: ServerDeps, ...segments: string[]): Response {
  const location = [`${deps.publicUrl()}/admin/realms`, ...segments.map(encodeURIComponent)].join('/');
  return c.body(null, 201, { location });
}
