/**
 * The stand-in's own state: what a realm holds at runtime and what is written to the data directory.
 * Everything here is plain JSON so a snapshot can be persisted and reloaded without conversion.
 */
import type { JWK } from 'jose';

export interface StoredRole {
  id: string;
  name: string;
  description?: string | undefined;
  /** names of realm roles this role grants (Keycloak composite roles) */
  composites: string[];
}

export interface StoredMapper {
  id: string;
  name: string;
  protocolMapper: string;
  config: Record<string, string>;
}

export interface StoredClient {
  id: string;
  clientId: string;
  secret?: string | undefined;
  enabled: boolean;
  publicClient: boolean;
  directAccessGrantsEnabled: boolean;
  serviceAccountsEnabled: boolean;
  standardFlowEnabled: boolean;
  redirectUris: string[];
  webOrigins: string[];
  protocolMappers: StoredMapper[];
}

export interface StoredUser {
  id: string;
  /** Keycloak lower-cases usernames and emails on write; lookups rely on that. */
  username: string;
  email?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  enabled: boolean;
  emailVerified: boolean;
  /** scrypt hash (see passwords.ts); never the plaintext */
  passwordHash?: string | undefined;
  /** direct realm-role mappings, by role name */
  realmRoles: string[];
  requiredActions: string[];
  serviceAccountClientId?: string | undefined;
}

export type KeyProviderId = 'rsa-generated' | 'rsa-enc-generated' | 'hmac-generated';
export type KeyAlgorithm = 'RS256' | 'RSA-OAEP' | 'HS512';

/** One key provider component holding one generated key, as Keycloak's *-generated providers do. */
export interface StoredKey {
  /** the component id (Keycloak reports it as the key's `providerId`) */
  id: string;
  name: string;
  providerId: KeyProviderId;
  priority: number;
  enabled: boolean;
  active: boolean;
  /** epoch ms; breaks priority ties in favour of the newest key */
  createdAt: number;
  kid: string;
  algorithm: KeyAlgorithm;
  privateJwk?: JWK | undefined;
  publicJwk?: JWK | undefined;
  /** base64url HMAC secret for hmac-generated */
  secret?: string | undefined;
}

export interface StoredSession {
  id: string;
  userId: string;
  clientId: string;
  /** epoch seconds */
  started: number;
  lastRefresh: number;
  scope: string;
}

/** Keycloak's brute-force detection settings (RealmRepresentation field names). */
export interface BruteForceSettings {
  failureFactor: number;
  waitIncrementSeconds: number;
  quickLoginCheckMilliSeconds: number;
  minimumQuickLoginWaitSeconds: number;
  maxFailureWaitSeconds: number;
  maxDeltaTimeSeconds: number;
}

/** A user's failed logins (Keycloak's UserLoginFailureModel). */
export interface StoredLoginFailure {
  userId: string;
  numFailures: number;
  /** epoch ms of the last failure */
  lastFailure: number;
  /** epoch seconds before which logins are refused */
  notBefore: number;
  lastIpFailure: string;
}

export interface StoredRealm {
  id: string;
  realm: string;
  enabled: boolean;
  accessTokenLifespan: number;
  ssoSessionIdleTimeout: number;
  ssoSessionMaxLifespan: number;
  duplicateEmailsAllowed: boolean;
  loginWithEmailAllowed: boolean;
  defaultRole: string;
  roles: StoredRole[];
  clients: StoredClient[];
  users: StoredUser[];
  keys: StoredKey[];
  sessions: StoredSession[];
  /** set when `bruteForceProtected` is on (optional: state files written before it load unchanged) */
  bruteForce?: BruteForceSettings | undefined;
  passwordPolicy?: string | undefined;
  loginFailures?: StoredLoginFailure[] | undefined;
}

export interface PersistedState {
  version: 1;
  realms: StoredRealm[];
}
