/** PKCE (RFC 7636), S256 only: `plain` would hand the verifier to anyone who sees the authorization request. */
import { createHash } from 'node:crypto';

// RFC 7636 §4.1 and §4.2: 43–128 characters from the unreserved set.
const VERIFIER_OR_CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/;

export function isWellFormed(value: string): boolean {
  return VERIFIER_OR_CHALLENGE.test(value);
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
