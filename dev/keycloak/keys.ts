/**
 * Realm keys modelled on Keycloak's generated key providers: each provider component owns one key, the enabled
 * and active key with the highest priority signs, and every enabled key is published (passive keys keep
 * verifying tokens signed before a rotation).
 */
import { createPublicKey, randomBytes, randomUUID, type JsonWebKey } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { KeyAlgorithm, KeyProviderId, StoredKey, StoredRealm } from './model.ts';

export const KEY_PROVIDER_TYPE = 'org.keycloak.keys.KeyProvider';

const ALGORITHM_OF: Record<KeyProviderId, KeyAlgorithm> = {
  'rsa-generated': 'RS256',
  'rsa-enc-generated': 'RSA-OAEP',
  'hmac-generated': 'HS512',
};

export function isKeyProviderId(value: string): value is KeyProviderId {
  return value in ALGORITHM_OF;
}

interface KeySettings {
  name?: string | undefined;
  priority?: number | undefined;
  enabled?: boolean | undefined;
  active?: boolean | undefined;
  /** RSA modulus length in bits */
  keySize?: number | undefined;
}

/** Generates the material for one provider component, with Keycloak's defaults (priority 100, RSA 2048). */
export async function generateKey(providerId: KeyProviderId, settings: KeySettings = {}): Promise<StoredKey> {
  const algorithm = ALGORITHM_OF[providerId];
  const base = {
    id: randomUUID(),
    name: settings.name ?? providerId,
    providerId,
    priority: settings.priority ?? 100,
    enabled: settings.enabled ?? true,
    active: settings.active ?? true,
    createdAt: Date.now(),
    algorithm,
  };
  if (algorithm === 'HS512') {
    // Keycloak's hmac-generated default is a 64-byte secret identified by a UUID kid.
    return { ...base, kid: randomUUID(), secret: randomBytes(64).toString('base64url') };
  }
  const pair = await generateKeyPair(algorithm, { extractable: true, modulusLength: settings.keySize ?? 2048 });
  const publicJwk = await exportJWK(pair.publicKey);
  const privateJwk = await exportJWK(pair.privateKey);
  // Keycloak derives RSA kids from the public key; the RFC 7638 thumbprint is a base64url SHA-256 of it.
  const kid = await calculateJwkThumbprint(publicJwk);
  const { n, e } = publicJwk;
  if (!n || !e) throw new Error('generated RSA key has no modulus or exponent');
  return { ...base, kid, publicJwk: { kty: 'RSA', n, e }, privateJwk };
}

/** A new realm gets the providers Keycloak creates by default (RSA signing, RSA-OAEP encryption, HMAC). */
export function generateDefaultKeys(): Promise<StoredKey[]> {
  return Promise.all([generateKey('rsa-generated'), generateKey('rsa-enc-generated'), generateKey('hmac-generated')]);
}

/** The key that signs for an algorithm: enabled, active, highest priority, newest on a tie. */
export function activeKey(realm: StoredRealm, algorithm: KeyAlgorithm): StoredKey | undefined {
  let best: StoredKey | undefined;
  for (const key of realm.keys) {
    if (key.algorithm !== algorithm || !key.enabled || !key.active) continue;
    if (!best || key.priority > best.priority || (key.priority === best.priority && key.createdAt > best.createdAt)) {
      best = key;
    }
  }
  return best;
}

/** An enabled key by kid: active and passive keys verify, disabled ones do not. */
export function verificationKey(
  realm: StoredRealm,
  kid: string | undefined,
  algorithm: KeyAlgorithm,
): StoredKey | undefined {
  return realm.keys.find((k) => k.enabled && k.algorithm === algorithm && k.kid === kid);
}

function keyStatus(key: StoredKey): 'ACTIVE' | 'PASSIVE' | 'DISABLED' {
  if (!key.enabled) return 'DISABLED';
  return key.active ? 'ACTIVE' : 'PASSIVE';
}

/** The JWKS document: every enabled RSA key, signing and encryption alike, as Keycloak publishes it. */
export function jwks(realm: StoredRealm): { keys: JWK[] } {
  const keys = realm.keys
    .filter((k) => k.enabled)
    .flatMap((k): JWK[] => {
      const { n, e } = k.publicJwk ?? {};
      if (!n || !e) return [];
      return [{ kid: k.kid, kty: 'RSA', alg: k.algorithm, use: k.algorithm === 'RSA-OAEP' ? 'enc' : 'sig', n, e }];
    });
  return { keys };
}

function publicKeyBase64(key: StoredKey): string | undefined {
  if (!key.publicJwk) return undefined;
  return createPublicKey({ key: key.publicJwk as JsonWebKey, format: 'jwk' })
    .export({ type: 'spki', format: 'der' })
    .toString('base64');
}

/** `GET /admin/realms/{realm}/keys` (KeysMetadataRepresentation). */
export function keysMetadata(realm: StoredRealm): { active: Record<string, string>; keys: Record<string, unknown>[] } {
  const active: Record<string, string> = {};
  for (const algorithm of ['RS256', 'RSA-OAEP', 'HS512'] as const) {
    const key = activeKey(realm, algorithm);
    if (key) active[algorithm] = key.kid;
  }
  const keys = realm.keys.map((k) => ({
    providerId: k.id,
    providerPriority: k.priority,
    kid: k.kid,
    status: keyStatus(k),
    type: k.algorithm === 'HS512' ? 'OCT' : 'RSA',
    algorithm: k.algorithm,
    publicKey: publicKeyBase64(k),
    use: k.algorithm === 'RSA-OAEP' ? 'ENC' : 'SIG',
  }));
  return { active, keys };
}
