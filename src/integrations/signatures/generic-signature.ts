/**
 * Signed JSON webhooks from providers other than Twilio. This file signs them (for the stand-ins and
 * tests) and holds the verifier the API uses. WebCrypto only, so Node and workerd both run it.
 *
 * Contract (version v2; the shape of Standard Webhooks, with hex instead of base64)
 *
 *   POST <webhook URL>
 *   Content-Type: application/json
 *   X-QA-Webhook-Id: <event id>
 *   X-QA-Webhook-Timestamp: <unix seconds>
 *   X-QA-Webhook-Signature: v2=<hex HMAC-SHA256(secret, "<event id>.<timestamp>.<raw body>")>
 *
 *   <raw body: UTF-8 JSON>
 *
 * - Event id: 1–128 printable ASCII characters without spaces, unique per event. A retried delivery
 *   keeps the id of the first attempt. The id is signed, so it cannot be changed in transit.
 * - Timestamp: a decimal integer (no sign, no leading zeros beyond "0", at most 15 digits), the Unix
 *   time in seconds when this attempt was signed; retries are re-signed with a new timestamp.
 * - Signature: key = the secret's UTF-8 bytes; message = the id header exactly as sent, one `.`, the
 *   timestamp header exactly as sent, one `.`, then the body bytes exactly as received (verify before
 *   parsing or re-serialising the JSON); output: 64 lower-case hex digits.
 * - The header has exactly one form: one to three entries `v2=<64 lower-case hex>`, separated by one
 *   space, no other text, no entry twice. Several entries let a sender rotating its secret sign with the
 *   old and the new one; a request is authentic when any entry matches. Anything else (upper-case hex,
 *   another version, `v1` from before the id was signed, commas, repeated entries) is refused as
 *   malformed, so one delivery has one spelling.
 * - Receivers reject a timestamp more than 300 s from their clock, in either direction.
 * - Replays: receivers process an event id once (retries included), and also a signed timestamp and
 *   body once, so neither a new id nor a new spelling of the header makes a resend new.
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
const TIMESTAMP_PATTERN = /^(0|[1-9]\d{0,14})$/;
export const GENERIC_WEBHOOK_SIGNATURE_VERSION = 'v2';
/** The one accepted spelling of the signature header (see the contract above). */
const SIGNATURE_HEADER_PATTERN = /^v2=[0-9a-f]{64}( v2=[0-9a-f]{64}){0,2}$/;

const signedMessage = (id: string, timestamp: string, body: string | Uint8Array): Uint8Array => {
  const prefix = utf8(`${id}.${timestamp}.`);
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
  const signature = toHex(await hmac('SHA-256', secret, signedMessage(id, String(timestamp), body)));
  return {
    headers: {
      'Content-Type': 'application/json',
      [GENERIC_WEBHOOK_HEADERS.id]: id,
      [GENERIC_WEBHOOK_HEADERS.timestamp]: String(timestamp),
      [GENERIC_WEBHOOK_HEADERS.signature]: `${GENERIC_WEBHOOK_SIGNATURE_VERSION}=${signature}`,
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
 * The receiving side of the contract above. `secrets` may list several secrets (the receiver's half of a
 * rotation). Replay bookkeeping (seen ids, seen timestamp and body) is the caller's: it needs storage.
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
  if (!ID_PATTERN.test(id) || !TIMESTAMP_PATTERN.test(timestampText) || !SIGNATURE_HEADER_PATTERN.test(signatureHeader))
    return { ok: false, reason: 'malformed_header' };
  const entries = signatureHeader.split(' ');
  if (new Set(entries).size !== entries.length) return { ok: false, reason: 'malformed_header' };

  const timestamp = Number(timestampText);
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (opts.toleranceSeconds ?? GENERIC_WEBHOOK_TOLERANCE_SECONDS)) {
    return { ok: false, reason: 'stale' };
  }

  const candidates = entries.map((entry) => fromHex(entry.slice(3))!);
  const message = signedMessage(id, timestampText, body);
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    const key = await hmacKey(secret, 'SHA-256', ['verify']);
    // subtle.verify compares in constant time, in Node and in workerd alike.
    for (const candidate of candidates) {
      if (await crypto.subtle.verify('HMAC', key, candidate, message)) return { ok: true, id, timestamp };
    }
  }
  return { ok: false, reason: 'bad_signature' };
}

/**
 * What a receiver remembers of an accepted delivery besides its id: hex SHA-256 of "<timestamp>.<raw
 * body>", both as signed. However the header is spelled and whatever id it comes under, a resend of the
 * same signed timestamp and body has the same digest.
 */
export async function genericDeliveryDigest(timestamp: string, body: string | Uint8Array): Promise<string> {
  const message = utf8(`${timestamp}.`);
  const rest = typeof body === 'string' ? utf8(body) : body;
  const data = new Uint8Array(message.length + rest.length);
  data.set(message);
  data.set(rest, message.length);
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
}
