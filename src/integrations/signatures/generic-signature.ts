/**
 * Signed JSON webhooks from providers other than Twilio. This file signs them (for the stand-ins and
 * tests) and holds a reference verifier; the API verifies on its side. WebCrypto only, so Node and
 * workerd both run it.
 *
 * Contract (version v1)
 *
 *   POST <webhook URL>
 *   Content-Type: application/json
 *   X-QA-Webhook-Id: <event id>
 *   X-QA-Webhook-Timestamp: <unix seconds>
 *   X-QA-Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 *   <raw body: UTF-8 JSON>
 *
 * - Event id: 1–128 printable ASCII characters without spaces, unique per event. A retried delivery
 *   keeps the id of the first attempt, so receivers use it to process each event once.
 * - Timestamp: a decimal integer, the Unix time in seconds when this attempt was signed (retries are
 *   re-signed with a new timestamp).
 * - Signature: key = the secret's UTF-8 bytes; message = the timestamp header exactly as sent, one `.`,
 *   then the body bytes exactly as received (verify before parsing or re-serialising the JSON); output
 *   lower-case hex. The header may carry several space-separated `v1=<hex>` entries (a sender rotating
 *   its secret signs with the old and the new one). A request is authentic when any `v1` entry matches;
 *   receivers ignore entries of other versions.
 * - Receivers reject a timestamp more than 300 s from their clock, in either direction.
 * - The id is not part of the signed message. Replaying a captured request with a fresh id passes the
 *   signature check, so receivers must not rely on the id alone to stop replays: they also refuse a
 *   signature they already accepted within the 300 s window.
 * - Compare signatures in constant time.
 */
import { fromHex, hmac, hmacKey, toHex, utf8 } from './hmac.ts';

export const GENERIC_WEBHOOK_HEADERS = {
  id: 'X-QA-Webhook-Id',
  timestamp: 'X-QA-Webhook-Timestamp',
  signature: 'X-QA-Webhook-Signature',
} as const;

export const GENERIC_WEBHOOK_TOLERANCE_SECONDS = 300;

const ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

const signedMessage = (timestamp: string, body: string | Uint8Array): Uint8Array => {
  const prefix = utf8(`${timestamp}.`);
  const rest = typeof body === 'string' ? utf8(body) : body;
  const out = new Uint8Array(prefix.length + rest.length);
  out.set(prefix);
  out.set(rest, prefix.length);
  return out;
};

export async function signGenericWebhook(
  secret: string,
  body: string,
  opts: { timestamp?: number; id?: string } = {},
): Promise<{ headers: Record<string, string>; body: string }> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError(`timestamp must be whole Unix seconds, got ${timestamp}`);
  }
  const id = opts.id ?? `evt_${crypto.randomUUID().replaceAll('-', '')}`;
  if (!ID_PATTERN.test(id)) throw new TypeError('id must be 1-128 printable ASCII characters without spaces');
  const signature = toHex(await hmac('SHA-256', secret, signedMessage(String(timestamp), body)));
  return {
    headers: {
      'Content-Type': 'application/json',
      [GENERIC_WEBHOOK_HEADERS.id]: id,
      [GENERIC_WEBHOOK_HEADERS.timestamp]: String(timestamp),
      [GENERIC_WEBHOOK_HEADERS.signature]: `v1=${signature}`,
    },
    body,
  };
}

export type GenericWebhookVerdict =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; reason: 'missing_header' | 'malformed_header' | 'stale' | 'bad_signature' };

type HeaderSource = Headers | Record<string, string | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * The receiving side of the contract above, for tests and as a reference for the API. `secrets` may list
 * several secrets (the receiver's half of a rotation). Replay bookkeeping (seen ids and signatures) is
 * the caller's: it needs storage.
 */
export async function verifyGenericWebhook(
  secrets: string | readonly string[],
  headers: HeaderSource,
  body: string | Uint8Array,
  opts: { now?: number; toleranceSeconds?: number } = {},
): Promise<GenericWebhookVerdict> {
  const id = header(headers, GENERIC_WEBHOOK_HEADERS.id);
  const timestampText = header(headers, GENERIC_WEBHOOK_HEADERS.timestamp);
  const signatureHeader = header(headers, GENERIC_WEBHOOK_HEADERS.signature);
  if (!id || !timestampText || !signatureHeader) return { ok: false, reason: 'missing_header' };
  if (!ID_PATTERN.test(id) || !/^\d{1,15}$/.test(timestampText)) return { ok: false, reason: 'malformed_header' };

  const timestamp = Number(timestampText);
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (opts.toleranceSeconds ?? GENERIC_WEBHOOK_TOLERANCE_SECONDS)) {
    return { ok: false, reason: 'stale' };
  }

  const candidates = signatureHeader
    .split(' ')
    .filter((entry) => entry.startsWith('v1='))
    .map((entry) => fromHex(entry.slice(3)))
    .filter((bytes): bytes is Uint8Array => bytes?.length === 32);
  const message = signedMessage(timestampText, body);
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    const key = await hmacKey(secret, 'SHA-256', ['verify']);
    // subtle.verify compares in constant time, in Node and in workerd alike.
    for (const candidate of candidates) {
      if (await crypto.subtle.verify('HMAC', key, candidate, message)) return { ok: true, id, timestamp };
    }
  }
  return { ok: false, reason: 'bad_signature' };
}
