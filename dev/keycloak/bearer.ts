/**
 * Accepting a bearer access token at the stand-in's own endpoints (userinfo, introspection, admin API).
 * Unlike a resource server checking only the signature, Keycloak also rejects tokens whose session ended,
 * whose user was disabled or logged out (`notBefore`), or that were revoked.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { JWTPayload } from 'jose';
import type { ServerDeps } from './deps.ts';
import type { StoredRealm, StoredUser } from './model.ts';
import { liveSession } from './sessions.ts';
import { nowSeconds } from './tokens.ts';
import { findUserById } from './users.ts';

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = headers.authorization?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

export interface AcceptedToken {
  payload: JWTPayload;
  user: StoredUser;
}

/** Returns the token's claims and user, or undefined when Keycloak would refuse the token. */
export async function acceptAccessToken(
  deps: ServerDeps,
  realm: StoredRealm,
  token: string,
): Promise<AcceptedToken | undefined> {
  let payload: JWTPayload;
  try {
    payload = await deps.tokens.verify(realm, token, 'Bearer');
  } catch {
    return undefined;
  }
  if (payload.jti && realm.revokedAccessTokens[payload.jti] !== undefined) return undefined;
  const user = typeof payload.sub === 'string' ? findUserById(realm, payload.sub) : undefined;
  if (!user?.enabled || (payload.iat ?? 0) < user.notBefore) return undefined;
  if (payload['sid'] !== undefined && !liveSession(realm, payload['sid'], nowSeconds())) return undefined;
  return { payload, user };
}
