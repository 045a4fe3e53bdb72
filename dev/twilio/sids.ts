/** Twilio SIDs: a two-letter type prefix (AC account, CA call, RE recording, CF conference) and 32 hex digits. */
import { toHex } from '../../src/integrations/signatures/hmac.ts';

export type SidPrefix = 'AC' | 'CA' | 'RE' | 'CF';

export function randomSid(prefix: SidPrefix): string {
  return prefix + toHex(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * Real SIDs are lower-case hex, but any 32 letters or digits pass, so placeholder fixtures such as
 * `ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX` from Twilio's docs can be registered too.
 */
export function isSid(prefix: SidPrefix, value: string): boolean {
  return value.length === 34 && value.startsWith(prefix) && /^[0-9A-Za-z]{32}$/.test(value.slice(2));
}
