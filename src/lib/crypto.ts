/** AES-GCM sealing of tenants' integration secrets (WebCrypto). */

import { toBase64 } from '../integrations/signatures/hmac';

const encoder = new TextEncoder();

function base64ToBytes(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function aesKey(keyB64: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', base64ToBytes(keyB64), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** `v1.<iv>.<ciphertext>`, base64; `context` (tenant and provider) is bound as associated data. */
export async function encryptSecret(keyB64: string, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(context) },
    await aesKey(keyB64),
    encoder.encode(plaintext),
  );
  return `v1.${toBase64(iv)}.${toBase64(new Uint8Array(ct))}`;
}

export async function decryptSecret(keyB64: string, sealed: string, context: string): Promise<string> {
  const [version, iv, ct] = sealed.split('.');
  if (version !== 'v1' || !iv || !ct) throw new Error('unknown secret format');
  const pt = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: base64ToBytes(iv), additionalData: encoder.encode(context) },
    await aesKey(keyB64),
    base64ToBytes(ct),
  );
  return new TextDecoder().decode(pt);
}
