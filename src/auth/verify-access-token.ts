import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../env';
import { Forbidden, Unauthenticated } from '../lib/errors';
import type { UserActor } from '../context';
import { highestRole } from './roles';

export const PLATFORM_REALM = 'qa-platform';
export const TENANT_ID_PATTERN = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

/** Realm name for a tenant, and back. One realm per tenant: `qa-<tenant>`. */
export const realmOf = (tenantId: string) => `qa-${tenantId}`;

function tenantOfRealm(realm: string): string | null | undefined {
  if (realm === PLATFORM_REALM) return null;
  const slug = realm.startsWith('qa-') ? realm.slice(3) : '';
  return TENANT_ID_PATTERN.test(slug) && slug !== 'platform' ? slug : undefined;
}

/**
 * One remote key set per realm for the isolate's life, so verification costs no fetch once
 * warm. The URL is built from configuration and a realm name that matched the tenant pattern;
 * never from a URL found in the token. Only realms of tenants that exist get a key set (checked
 * once, on the first token naming the realm), so a token naming a made-up `qa-<x>` realm costs
 * no JWKS fetch and cannot push the real realms' key sets out. Least recently used first out,
 * and only when more than MAX_KEY_SETS real realms are in use in one isolate.
 */
const keySets = new Map<string, JWTVerifyGetKey>();
const MAX_KEY_SETS = 1_000;
/** Lookups in flight, so a burst of first requests for one realm asks the database once. */
const resolving = new Map<string, Promise<JWTVerifyGetKey | null>>();

/** Whether a tenant exists (suspended ones included: they are refused later, with a clearer answer). */
export type TenantExists = (tenantId: string) => Promise<boolean>;

function cachedKeySet(key: string): JWTVerifyGetKey | undefined {
  const set = keySets.get(key);
  if (set) {
    keySets.delete(key);
    keySets.set(key, set);
  }
  return set;
}

async function keySetFor(
  realm: string,
  tenant: string | null,
  config: Config,
  tenantExists: TenantExists,
): Promise<JWTVerifyGetKey | null> {
  const key = `${config.keycloak.url}|${realm}`;
  const cached = cachedKeySet(key);
  if (cached) return cached;
  let pending = resolving.get(key);
  if (!pending) {
    pending = (async () => {
      if (tenant !== null && !(await tenantExists(tenant))) return null;
      const set = createRemoteJWKSet(new URL(`${config.keycloak.url}/realms/${realm}/protocol/openid-connect/certs`), {
        cooldownDuration: config.jwksCooldownMs,
        timeoutDuration: 5_000,
      });
      if (keySets.size >= MAX_KEY_SETS) keySets.delete(keySets.keys().next().value!);
      keySets.set(key, set);
      return set;
    })().finally(() => resolving.delete(key));
    resolving.set(key, pending);
  }
  return pending;
}

interface KeycloakAccessClaims extends JWTPayload {
  typ?: string;
  azp?: string;
  tenant_id?: string;
  realm_access?: { roles?: unknown[] };
  email?: string;
  preferred_username?: string;
  given_name?: string;
  family_name?: string;
}

/**
 * Verifies a Keycloak access token and returns who it speaks for. Every failure is the same
 * `Unauthenticated`: the caller learns nothing about which check failed.
 */
export async function verifyAccessToken(token: string, config: Config, tenantExists: TenantExists): Promise<UserActor> {
  let issuer: unknown;
  try {
    issuer = decodeJwt(token).iss;
  } catch {
    throw new Unauthenticated();
  }
  const realmsPrefix = `${config.keycloak.url}/realms/`;
  if (typeof issuer !== 'string' || !issuer.startsWith(realmsPrefix)) throw new Unauthenticated();
  const realm = issuer.slice(realmsPrefix.length);
  const homeTenant = tenantOfRealm(realm);
  if (homeTenant === undefined) throw new Unauthenticated();
  const keySet = await keySetFor(realm, homeTenant, config, tenantExists);
  if (!keySet) throw new Unauthenticated();

  let claims: KeycloakAccessClaims;
  try {
    ({ payload: claims } = await jwtVerify<KeycloakAccessClaims>(token, keySet, {
      issuer,
      algorithms: ['RS256'],
      clockTolerance: 5,
      requiredClaims: ['exp', 'iat', 'sub'],
      ...(config.keycloak.audience ? { audience: config.keycloak.audience } : {}),
    }));
  } catch {
    throw new Unauthenticated();
  }
  // ID tokens are signed with the same key; only access tokens say `Bearer`. A token is ours when
  // it was issued to the API client or to one of the configured frontends (which still carry the
  // API's audience, checked above).
  const issuedTo = claims.azp ?? '';
  if (
    claims.typ !== 'Bearer' ||
    !(issuedTo === config.keycloak.clientId || config.keycloak.frontendClients.includes(issuedTo))
  )
    throw new Unauthenticated();
  // The realm decides the tenant; a claim that disagrees means a misconfigured or forged realm.
  if (claims.tenant_id !== undefined && claims.tenant_id !== homeTenant) throw new Unauthenticated();

  const roles = (claims.realm_access?.roles ?? []).filter((r) =>
    homeTenant === null ? r === 'super_admin' : r !== 'super_admin',
  );
  const role = highestRole(roles);
  // A genuine token without any role of ours is authenticated but allowed nothing.
  if (!role) throw new Forbidden();
  return {
    kind: 'user',
    userId: claims.sub!,
    role,
    realm,
    homeTenant,
    email: claims.email ?? null,
    username: claims.preferred_username ?? null,
    firstName: claims.given_name ?? null,
    lastName: claims.family_name ?? null,
  };
}
