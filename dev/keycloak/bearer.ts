/**
 * Accepting a bearer access token at the stand-in's own endpoints (userinfo, admin API). Unlike a resource
 * server checking only the signature, Keycloak also rejects tokens whose session ended or whose user was
 * disabled.
 */
import type { JWTPayload } from 'jose';
import type { ServerDeps } from './deps.ts';
import type { StoredRealm, StoredUser } from './model.ts';
import { liveSession } from './sessions.ts';
import { nowSeconds } from './tokens.ts';
import { findUserById } from './users.ts';

export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
}

interface AcceptedToken {
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
  const user = typeof payload.sub === 'string' ? findUserById(realm, payload.sub) : undefined;
  if (!user?.enabled) return undefined;
  if (payload['sid'] !== undefined && !liveSession(realm, payload['sid'], nowSeconds())) return undefined;
  return { payload, user };
}
