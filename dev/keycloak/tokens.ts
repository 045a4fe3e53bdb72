/**
 * Minting and verifying tokens shaped like Keycloak 26's: RS256 access and ID tokens signed with the realm's
 * active key, HS512 refresh tokens signed with the realm's HMAC secret (so they never verify against the JWKS).
 */
import { createHash, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { activeKey, generateKey, verificationKey } from './keys.ts';
import { applyClaimMappers, mappedAudiences } from './mappers.ts';
import type { KeyAlgorithm, StoredClient, StoredKey, StoredRealm, StoredSession, StoredUser } from './model.ts';
import { webOrigins } from './redirect-uris.ts';
import { effectiveRealmRoles } from './roles.ts';
import { sessionRemaining } from './sessions.ts';

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** What one successful grant hands to the minter. */
export interface Grant {
  realm: StoredRealm;
  client: StoredClient;
  user: StoredUser;
  /** absent for client credentials, which Keycloak 26 serves from a transient session (no `sid`, no refresh) */
  session?: StoredSession;
  scope: string;
  /** Keycloak 26 prefixes `jti` with a code for the grant, e.g. `onrtro:` for a password grant */
  jtiPrefix: string;
  clientAddress: string;
  /** the authorization request's `nonce`, echoed in the ID token so the browser can bind it to its request */
  nonce?: string | undefined;
}

export type TokenResponse = Record<string, unknown>;

export function scopeIncludes(scope: string, wanted: string): boolean {
  return scope.split(' ').includes(wanted);
}

/** Profile and email claims, present in every token Keycloak issues with its default client scopes. */
export function profileClaims(user: StoredUser): Record<string, unknown> {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return {
    email_verified: user.emailVerified,
    ...(name ? { name } : {}),
    preferred_username: user.username,
    ...(user.firstName ? { given_name: user.firstName } : {}),
    ...(user.lastName ? { family_name: user.lastName } : {}),
    ...(user.email ? { email: user.email } : {}),
  };
}

/** RFC 7519 `aud`: a single audience is a string, several an array, none leaves the claim out. */
function audienceClaim(audiences: string[]): Record<string, unknown> {
  if (audiences.length === 0) return {};
  return { aud: audiences.length === 1 ? audiences[0] : audiences };
}

function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

function hmacSecret(key: StoredKey): Uint8Array {
  return Buffer.from(key.secret ?? '', 'base64url');
}

export class TokenMinter {
  constructor(
    private readonly issuerOf: (realm: string) => string,
    /** called when a fallback key had to be generated, so the new key gets persisted */
    private readonly onKeyCreated: () => void,
  ) {}

  issuer(realm: StoredRealm): string {
    return this.issuerOf(realm.realm);
  }

  async issue(grant: Grant): Promise<TokenResponse> {
    const { realm, client, user, session } = grant;
    const now = nowSeconds();
    const iss = this.issuer(realm);
    const remaining = session ? sessionRemaining(realm, session, now) : 0;
    // Keycloak never lets an access token outlive the session it came from.
    const expiresIn = session ? Math.min(realm.accessTokenLifespan, remaining) : realm.accessTokenLifespan;
    const serviceAccount = user.serviceAccountClientId !== undefined;
    const origins = webOrigins(client);

    const access: Record<string, unknown> = {
      exp: now + expiresIn,
      iat: now,
      ...(session ? { auth_time: session.started } : {}),
      jti: `${grant.jtiPrefix}${randomUUID()}`,
      iss,
      ...audienceClaim(mappedAudiences(client, 'access')),
      sub: user.id,
      typ: 'Bearer',
      azp: client.clientId,
      ...(session ? { sid: session.id } : {}),
      acr: '1',
      ...(origins.length ? { 'allowed-origins': origins } : {}),
      realm_access: { roles: effectiveRealmRoles(realm, user) },
      scope: grant.scope,
      ...(serviceAccount
        ? { clientHost: grant.clientAddress, client_id: client.clientId, clientAddress: grant.clientAddress }
        : {}),
      ...profileClaims(user),
    };
    applyClaimMappers(access, client, 'access');
    const accessToken = await this.signRs256(realm, access);

    const response: TokenResponse = {
      access_token: accessToken,
      expires_in: expiresIn,
      refresh_expires_in: remaining,
    };
    if (session) {
      const refresh = await this.mintRefresh(grant, session, now, remaining);
      response['refresh_token'] = refresh;
    }
    response['token_type'] = 'Bearer';
    if (session && scopeIncludes(grant.scope, 'openid')) {
      response['id_token'] = await this.mintIdToken(grant, session, now, expiresIn, accessToken);
    }
    response['not-before-policy'] = 0;
    if (session) response['session_state'] = session.id;
    response['scope'] = grant.scope;
    return response;
  }

  private async mintIdToken(
    grant: Grant,
    session: StoredSession,
    now: number,
    expiresIn: number,
    accessToken: string,
  ): Promise<string> {
    const { realm, client, user } = grant;
    const extraAudiences = mappedAudiences(client, 'id').filter((a) => a !== client.clientId);
    const claims: Record<string, unknown> = {
      exp: now + expiresIn,
      iat: now,
      auth_time: session.started,
      jti: `${grant.jtiPrefix}${randomUUID()}`,
      iss: this.issuer(realm),
      ...audienceClaim([client.clientId, ...extraAudiences]),
      sub: user.id,
      typ: 'ID',
      azp: client.clientId,
      sid: session.id,
      ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
      at_hash: atHash(accessToken),
      acr: '1',
      ...profileClaims(user),
    };
    applyClaimMappers(claims, client, 'id');
    return this.signRs256(realm, claims);
  }

  private async mintRefresh(grant: Grant, session: StoredSession, now: number, remaining: number): Promise<string> {
    const iss = this.issuer(grant.realm);
    const jti = randomUUID();
    const claims = {
      exp: now + remaining,
      iat: now,
      jti,
      iss,
      aud: iss,
      sub: grant.user.id,
      typ: 'Refresh',
      azp: grant.client.clientId,
      sid: session.id,
      scope: grant.scope,
    };
    const key = await this.signingKey(grant.realm, 'HS512');
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS512', typ: 'JWT', kid: key.kid }).sign(hmacSecret(key));
  }

  private async signRs256(realm: StoredRealm, claims: Record<string, unknown>): Promise<string> {
    const key = await this.signingKey(realm, 'RS256');
    if (!key.privateJwk) throw new Error(`key ${key.kid} has no private part`);
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid }).sign(key.privateJwk);
  }

  /** Like Keycloak, a realm left without an active key gets a low-priority fallback key rather than failing. */
  async signingKey(realm: StoredRealm, algorithm: 'RS256' | 'HS512'): Promise<StoredKey> {
    const existing = activeKey(realm, algorithm);
    if (existing) return existing;
    const providerId = algorithm === 'RS256' ? 'rsa-generated' : 'hmac-generated';
    const key = await generateKey(providerId, { name: `fallback-${algorithm}`, priority: -100 });
    // Another request may have created one while this key was being generated.
    const raced = activeKey(realm, algorithm);
    if (raced) return raced;
    realm.keys.push(key);
    this.onKeyCreated();
    return key;
  }

  /** Verifies a token this realm signed: signature by an enabled key, issuer, expiry and payload `typ`. */
  async verify(realm: StoredRealm, token: string, typ: 'Bearer' | 'Refresh' | 'ID'): Promise<JWTPayload> {
    const algorithm: KeyAlgorithm = typ === 'Refresh' ? 'HS512' : 'RS256';
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = verificationKey(realm, header.kid, algorithm);
        if (!key) throw new Error('no matching key');
        if (algorithm === 'HS512') return hmacSecret(key);
        if (!key.publicJwk) throw new Error('no public key');
        return key.publicJwk;
      },
      { issuer: this.issuer(realm), algorithms: [algorithm] },
    );
    if (payload['typ'] !== typ) throw new Error(`expected a ${typ} token`);
    return payload;
  }
}
