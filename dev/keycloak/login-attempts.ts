/**
 * Authorization requests waiting for the user to submit the login form, keyed by the id the form posts
 * back (Keycloak's `tab_id`). Kept in memory; Keycloak's default login timeout is 30 minutes.
 */
import { randomBytes } from 'node:crypto';

const LOGIN_TIMEOUT_MS = 30 * 60_000;

export interface AuthorizationRequest {
  realm: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state?: string | undefined;
  nonce?: string | undefined;
  codeChallenge?: string | undefined;
}

export class LoginAttempts {
  private readonly pending = new Map<string, { request: AuthorizationRequest; expiresAt: number }>();

  start(request: AuthorizationRequest): string {
    const now = Date.now();
    for (const [id, attempt] of this.pending) if (attempt.expiresAt <= now) this.pending.delete(id);
    const id = randomBytes(16).toString('base64url');
    this.pending.set(id, { request, expiresAt: now + LOGIN_TIMEOUT_MS });
    return id;
  }

  get(id: string): AuthorizationRequest | undefined {
    const attempt = this.pending.get(id);
    return attempt && attempt.expiresAt > Date.now() ? attempt.request : undefined;
  }

  finish(id: string): void {
    this.pending.delete(id);
  }
}
