/**
 * HMAC and byte encodings over WebCrypto alone, so the signing helpers run unchanged in Node tools and in
 * workerd tests (no `node:crypto`, no `Buffer`).
 */
const encoder = new TextEncoder();

export type HmacHash = 'SHA-1' | 'SHA-256';

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function hmacKey(secret: string, hash: HmacHash, usages: ('sign' | 'verify')[]): Promise<CryptoKey> {
  // WebCrypto refuses zero-length HMAC keys anyway; an empty secret is a missing configuration, and a
  // signature under it would prove nothing, so say so instead of surfacing a DataError.
  if (secret === '') throw new TypeError('HMAC secret must not be empty');
  return crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash }, false, usages);
}

export async function hmac(hash: HmacHash, secret: string, message: string | Uint8Array): Promise<Uint8Array> {
  const key = await hmacKey(secret, hash, ['sign']);
  const data = typeof message === 'string' ? utf8(message) : message;
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, data));
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Strict: even length, hex digits only (either case); anything else is `undefined`. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * String comparison whose time depends only on the lengths, for comparing a received signature with the
 * expected one (workerd's `timingSafeEqual` is not in Node's WebCrypto, and `node:crypto` is off limits here).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
