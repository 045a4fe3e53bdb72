/**
 * Authorization codes: one-time, short-lived and bound to the request that produced them (client,
 * redirect URI, PKCE challenge, nonce). Held in memory only: a restart mid-login simply starts it over.
 */
import { randomBytes } from 'node:crypto';

/** Keycloak's default "Client login timeout" is 60 seconds. */
const CODE_LIFETIME_MS = 60_000;

export interface IssuedCode {
  realm: string;
  clientId: string;
  redirectUri: string;
  sessionId: string;
  userId: string;
  scope: string;
  nonce?: string | undefined;
  codeChallenge?: string | undefined;
  expiresAt: number;
}

export type Redemption =
  | { kind: 'valid'; code: IssuedCode }
  | { kind: 'reused'; code: IssuedCode }
  | { kind: 'unknown' }
  | { kind: 'expired' };

export class AuthCodes {
  private readonly live = new Map<string, IssuedCode>();
  /** spent codes stay known until they would have expired, so a replay can be recognised as one */
  private readonly spent = new Map<string, IssuedCode>();

  issue(code: Omit<IssuedCode, 'expiresAt'>): string {
    this.prune();
    const value = randomBytes(32).toString('base64url');
    this.live.set(value, { ...code, expiresAt: Date.now() + CODE_LIFETIME_MS });
    return value;
  }

  redeem(value: string): Redemption {
    this.prune();
    const spent = this.spent.get(value);
    if (spent) return { kind: 'reused', code: spent };
    const code = this.live.get(value);
    if (!code) return { kind: 'unknown' };
    this.live.delete(value);
    this.spent.set(value, code);
    return code.expiresAt <= Date.now() ? { kind: 'expired' } : { kind: 'valid', code };
  }

  private prune(): void {
    const now = Date.now();
    for (const [value, code] of this.spent) if (code.expiresAt <= now) this.spent.delete(value);
    // Expired live codes are kept one more lifetime so `redeem` can tell "expired" from "unknown".
    for (const [value, code] of this.live) if (code.expiresAt + CODE_LIFETIME_MS <= now) this.live.delete(value);
  }
}
