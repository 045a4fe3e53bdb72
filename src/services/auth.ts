import { decodeJwt } from 'jose';
import { eq } from 'drizzle-orm';
import type { Config } from '../env';
import type { UserContext } from '../context';
import { auditLogs, tenants, users } from '../db/schema';
import { Keycloak, type TokenSet } from '../integrations/keycloak';
import { Invalid, Unauthenticated } from '../lib/errors';
import { highestRole, permissionsOf } from '../auth/roles';
import { PLATFORM_REALM, realmOf, TENANT_ID_PATTERN } from '../auth/verify-access-token';
import { iso } from './scope';

/** `tenant_id: "platform"` logs in a platform administrator. */
function realmForLogin(tenantId: string): string {
  return tenantId === 'platform' ? PLATFORM_REALM : realmOf(tenantId);
}

/** The realm a refresh token was issued by, accepted only if it is one of ours. */
function realmOfRefreshToken(config: Config, token: string): string {
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw new Unauthenticated('The refresh token is invalid or expired.');
  }
  const prefix = `${config.keycloak.url}/realms/`;
  const realm = typeof iss === 'string' && iss.startsWith(prefix) ? iss.slice(prefix.length) : '';
  if (realm !== PLATFORM_REALM && !(realm.startsWith('qa-') && TENANT_ID_PATTERN.test(realm.slice(3)))) {
    throw new Unauthenticated('The refresh token is invalid or expired.');
  }
  return realm;
}

function withUserInfo(tokens: TokenSet, tenantId: string | null) {
  const claims = decodeJwt(tokens.access_token) as Record<string, unknown> & { realm_access?: { roles?: unknown[] } };
  return {
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token ?? null,
    token_type: 'Bearer' as const,
    expires_in: tokens.expires_in,
    refresh_expires_in: tokens.refresh_expires_in ?? null,
    user_info: {
      id: String(claims.sub),
      email: (claims.email as string | undefined) ?? null,
      first_name: (claims.given_name as string | undefined) ?? null,
      last_name: (claims.family_name as string | undefined) ?? null,
      role: highestRole(claims.realm_access?.roles ?? []),
      tenant_id: tenantId,
    },
  };
}

export async function login(config: Config, input: { username: string; password: string; tenant_id: string }) {
  const tokens = await new Keycloak(config).passwordGrant(
    realmForLogin(input.tenant_id),
    input.username,
    input.password,
  );
  return withUserInfo(tokens, input.tenant_id === 'platform' ? null : input.tenant_id);
}

export async function refresh(config: Config, refreshToken: string) {
  const realm = realmOfRefreshToken(config, refreshToken);
  const tokens = await new Keycloak(config).refresh(realm, refreshToken);
  return withUserInfo(tokens, realm === PLATFORM_REALM ? null : realm.slice(3));
}

export async function logout(ctx: UserContext, refreshToken: string) {
  const realm = realmOfRefreshToken(ctx.config, refreshToken);
  if (realm !== ctx.actor.realm) {
    throw new Invalid('The refresh token belongs to another realm.', [
      { field: 'refresh_token', message: 'does not belong to the caller' },
    ]);
  }
  await new Keycloak(ctx.config).logout(realm, refreshToken);
}

export async function profile(ctx: UserContext) {
  const { actor } = ctx;
  const tenantId = actor.homeTenant ?? ctx.tenantId;
  const fromToken = {
    id: actor.userId,
    email: actor.email,
    first_name: actor.firstName,
    last_name: actor.lastName,
    role: actor.role,
    status: 'active',
    organization_id: null as string | null,
    department_id: null as string | null,
    team_id: null as string | null,
    created_at: null as string | null,
  };
  if (!tenantId) return { user_profile: fromToken, permissions: permissionsOf(actor.role), tenant_info: null };

  const [userRows, tenantRows] = await ctx.db.run((q) => [
    q.select().from(users).where(eq(users.id, actor.userId)),
    q.select().from(tenants).where(eq(tenants.id, tenantId)),
  ]);
  const row = userRows[0];
  const tenant = tenantRows[0];
  return {
    user_profile: row
      ? {
          id: row.id,
          email: row.email,
          first_name: row.firstName,
          last_name: row.lastName,
          role: row.role,
          status: row.status,
          organization_id: row.organizationId,
          department_id: row.departmentId,
          team_id: row.teamId,
          created_at: iso(row.createdAt),
        }
      : fromToken,
    permissions: permissionsOf(actor.role),
    tenant_info: tenant
      ? {
          tenant_id: tenant.id,
          display_name: tenant.displayName,
          tier: tenant.tier,
          status: tenant.status,
          branding: tenant.branding,
          features: tenant.features,
        }
      : null,
  };
}

/**
 * Keycloak has no "change my password" call for a confidential client, so the current password
 * is proven with a password grant, then the new one is set through the admin API.
 */
export async function changePassword(ctx: UserContext, input: { current_password: string; new_password: string }) {
  const { actor } = ctx;
  const kc = new Keycloak(ctx.config);
  const username = actor.username ?? actor.email;
  if (!username) throw new Invalid('This account has no username to check the password against.');
  // The realms' password policy (notUsername, notEmail), checked before the current password is tried.
  const reused = [actor.username, actor.email].some((v) => v && v.toLowerCase() === input.new_password.toLowerCase());
  if (reused)
    throw new Invalid('The new password does not meet the password policy.', [
      { field: 'new_password', message: 'must differ from the username and email' },
    ]);
  try {
    await kc.passwordGrant(actor.realm, username, input.current_password);
  } catch (err) {
    if (err instanceof Unauthenticated)
      throw new Invalid('The current password is not correct.', [
        { field: 'current_password', message: 'is not correct' },
      ]);
    throw err;
  }
  await kc.resetPassword(actor.realm, actor.userId, input.new_password, false);
  const tenantId = actor.homeTenant ?? ctx.tenantId;
  if (tenantId) {
    await ctx.db.run((q) => [
      q.insert(auditLogs).values({
        tenantId,
        actorId: actor.userId,
        actorRole: actor.role,
        action: 'users.password_change',
        entityType: 'users',
        entityId: actor.userId,
        requestId: ctx.requestId,
      }),
    ]);
  }
}
