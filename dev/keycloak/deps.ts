/** What every route handler needs from the running stand-in. */
import type { AuthCodes } from './auth-codes.ts';
import type { LoginAttempts } from './login-attempts.ts';
import type { RealmStore } from './realm-store.ts';
import type { JwksStats } from './stats.ts';
import type { TokenMinter } from './tokens.ts';

export interface ServerDeps {
  store: RealmStore;
  tokens: TokenMinter;
  stats: JwksStats;
  codes: AuthCodes;
  logins: LoginAttempts;
  /** base URL clients use (no trailing slash); known only once the server listens when the port is 0 */
  publicUrl(): string;
}
