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
 * never from a URL found in the token. Bounded so tokens naming made-up realms cannot grow it.
 */
const keySets = new Map<string, JWTVerifyGetKey>();
const MAX_KEY_SETS = 1_000;

function keySetFor(realm: string, config: Config): JWTVerifyGetKey {
  const key = `${config.keycloak.url}|${realm}`;
  let set = keySets.get(key);
  if (!set) {
    if (keySets.size >= MAX_KEY_SETS) keySets.delete(keySets.keys().next().value!);
    set = createRemoteJWKSet(new URL(`${config.keycloak.url}/realms/${realm}/protocol/openid-connect/certs`), {
      cooldownDuration: config.jwksCooldownMs,
      timeoutDuration: 5_000,
    });
    keySets.set(key, set);
  }
  return set;
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
export async function verifyAccessToken(token: string, config: Config): Promise<UserActor> {
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

  let claims: KeycloakAccessClaims;
  try {
    ({ payload: claims } = await jwtVerify<KeycloakAccessClaims>(token, keySetFor(realm, config), {
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
