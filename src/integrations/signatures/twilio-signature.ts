/**
 * `X-Twilio-Signature`, computed as twilio-node's `getExpectedTwilioSignature` and checked as its
 * `validateRequest` (src/webhooks/webhooks.ts). WebCrypto only: the Twilio stand-in signs with it in Node,
 * and workerd tests use it to sign requests to the API.
 */
import { constantTimeEqual, hmac, toBase64 } from './hmac.ts';

/** Form parameters as Twilio posted them, values decoded; a repeated key becomes an array. */
export type TwilioParams = Record<string, string | string[]>;

/**
 * The string Twilio signs. twilio-node first re-serialises the URL with `new URL(url).toString()` (scheme
 * and host lower-cased, default port dropped, `/` added to a bare host), then appends key + value for every
 * parameter in `Array.prototype.sort` order: UTF-16 code units, so case-sensitive and `'A' < 'a'`. An array
 * value contributes key + value once per distinct value, in the same sort order.
 */
export function twilioSignedString(url: string, params: TwilioParams): string {
  let data = new URL(url).toString();
  for (const key of Object.keys(params).sort()) {
    const value = params[key] ?? '';
    if (typeof value === 'string') data += key + value;
    else for (const v of [...new Set(value)].sort()) data += key + v;
  }
  return data;
}

/** base64(HMAC-SHA1(authToken, signed string)), exactly what Twilio sends in `X-Twilio-Signature`. */
export async function twilioSignature(authToken: string, url: string, params: TwilioParams): Promise<string> {
  return toBase64(await hmac('SHA-1', authToken, twilioSignedString(url, params)));
}

/**
 * twilio-node's `validateRequest`: true when `signature` matches the URL as given or the URL without its
 * port. (twilio-node also tries the URL with the scheme's default port added, but its own URL
 * normalisation strips that port again, so these two are all it really accepts.) `url` must be the public
 * URL the webhook was configured with at Twilio, query string included, never the URL the request reached
 * behind a proxy or tunnel.
 */
export async function validateTwilioSignature(
  authToken: string,
  signature: string | null | undefined,
  url: string,
  params: TwilioParams,
): Promise<boolean> {
  if (!signature) return false;
  const withoutPort = new URL(url);
  withoutPort.port = '';
  const candidates = new Set([new URL(url).toString(), withoutPort.toString()]);
  let valid = false;
  // Every candidate is computed and compared, so the time taken does not reveal which one matched.
  for (const candidate of candidates) {
    if (constantTimeEqual(signature, await twilioSignature(authToken, candidate, params))) valid = true;
  }
  return valid;
}

/**
 * Decodes a form body (`+` is a space, `%2B` a plus) into the shape the signature needs, keeping every
 * value of a repeated key. Hono's `parseBody()` keeps only the last one unless asked for all, and
 * dropping a value breaks the signature.
 */
export function paramsFromForm(body: string | URLSearchParams): TwilioParams {
  const form = typeof body === 'string' ? new URLSearchParams(body) : body;
  // No prototype: a posted `__proto__` key must stay a plain entry.
  const params = Object.create(null) as TwilioParams;
  for (const [key, value] of form) {
    const seen = params[key];
    if (seen === undefined) params[key] = value;
    else if (typeof seen === 'string') params[key] = [seen, value];
    else seen.push(value);
  }
  return params;
}
