/** Shared pieces of the admin REST API: bearer-token authorization, lookups, body parsing, query helpers. */
import type { z } from 'zod';
import { acceptAccessToken, bearerToken } from './bearer.ts';
import type { ServerDeps } from './deps.ts';
import { adminError, adminErrorMessage } from './errors.ts';
import { readJson, type Handler, type Reply, type RequestContext, type Router } from './http.ts';
import type { StoredRealm, StoredUser } from './model.ts';
import { effectiveRealmRoles } from './roles.ts';
import { findUserById } from './users.ts';

export const ADMIN_REALM = 'master';
export const ADMIN_ROLE = 'admin';

/**
 * Wraps a handler so it runs only for a caller holding a master-realm access token whose user currently has
 * the `admin` realm role (Keycloak evaluates admin permissions on current role mappings, not token claims).
 */
export function adminRoute(deps: ServerDeps, handler: Handler): Handler {
  return async (ctx: RequestContext): Promise<Reply> => {
    const unauthorized = adminError(401, 'HTTP 401 Unauthorized');
    const token = bearerToken(ctx.headers);
    const master = deps.store.get(ADMIN_REALM);
    if (!token || !master) throw unauthorized;
    const accepted = await acceptAccessToken(deps, master, token);
    if (!accepted) throw unauthorized;
    if (!effectiveRealmRoles(master, accepted.user).includes(ADMIN_ROLE)) throw adminError(403, 'HTTP 403 Forbidden');
    return handler(ctx);
  };
}

export type RealmHandler = (ctx: RequestContext, realm: StoredRealm) => Promise<Reply>;

/** Registers admin routes under `/admin/realms/{realm}`: authorized first, then the realm is looked up. */
export function realmRoutes(
  router: Router,
  deps: ServerDeps,
): (method: string, path: string, handler: RealmHandler) => void {
  return (method, path, handler) =>
    router.add(
      method,
      path,
      adminRoute(deps, (ctx) => handler(ctx, realmFor(deps, ctx))),
    );
}

export function realmFor(deps: ServerDeps, ctx: RequestContext): StoredRealm {
  const realm = deps.store.get(ctx.params['realm'] ?? '');
  if (!realm) throw adminError(404, 'Realm not found.');
  return realm;
}

export function userFor(realm: StoredRealm, ctx: RequestContext): StoredUser {
  const user = findUserById(realm, ctx.params['id'] ?? '');
  if (!user) throw adminError(404, 'User not found');
  return user;
}

export async function parseBody<T extends z.ZodType>(ctx: RequestContext, schema: T): Promise<z.output<T>> {
  const result = schema.safeParse(await readJson(ctx));
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw adminErrorMessage(400, detail);
  }
  return result.data;
}

export function adminUrl(deps: ServerDeps, ...segments: string[]): string {
  return [`${deps.publicUrl()}/admin/realms`, ...segments.map(encodeURIComponent)].join('/');
}

export function created(location: string): Reply {
  return { status: 201, headers: { location } };
}

/** Keycloak's paging parameters; `max` defaults to 100 like its admin API. */
export function paging(url: URL): { first: number; max: number } {
  const int = (name: string, fallback: number): number => {
    const value = Number.parseInt(url.searchParams.get(name) ?? '', 10);
    return Number.isInteger(value) && value >= 0 ? value : fallback;
  };
  return { first: int('first', 0), max: int('max', 100) };
}

export function queryBoolean(url: URL, name: string): boolean | undefined {
  const value = url.searchParams.get(name);
  return value === null ? undefined : value === 'true';
}
