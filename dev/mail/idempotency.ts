/**
 * Resend's idempotency rules for `POST /emails`: a key seen in the last 24 hours with the same
 * payload answers the first response again and sends nothing; with another payload it is a 409
 * `invalid_idempotent_request`; while the first request is still being handled, a 409
 * `concurrent_idempotent_requests`. Keys are 1 to 256 characters.
 */
import { createHash } from 'node:crypto';
import { idempotentPayloadMismatch, idempotentRequestInProgress, invalidIdempotencyKey } from './errors.ts';

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;

type Entry = { hash: string; at: number; id: string | null };

/** A hash of the payload that does not depend on the order of its keys. */
export function payloadHash(body: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('hex');
}

export class IdempotencyKeys {
  readonly #entries = new Map<string, Entry>();

  static check(key: string | undefined): string | null {
    if (key === undefined) return null;
    if (key.length < 1 || key.length > 256) throw invalidIdempotencyKey();
    return key;
  }

  /** Remembers a message already sent (from the outbox, at start). */
  remember(key: string, hash: string, id: string, at: number) {
    if (Date.now() - at < IDEMPOTENCY_WINDOW_MS) this.#entries.set(key, { hash, id, at });
  }

  /**
   * The id of the message this key already sent, or null when the caller should send now (the
   * key is then held until `settle` or `release`).
   */
  claim(key: string, hash: string): string | null {
    const seen = this.#entries.get(key);
    if (seen && Date.now() - seen.at < IDEMPOTENCY_WINDOW_MS) {
      if (seen.hash !== hash) throw idempotentPayloadMismatch();
      if (seen.id === null) throw idempotentRequestInProgress();
      return seen.id;
    }
    this.#entries.set(key, { hash, id: null, at: Date.now() });
    return null;
  }

  settle(key: string, id: string) {
    const entry = this.#entries.get(key);
    if (entry) entry.id = id;
  }

  /** A send that failed keeps nothing: the same key may be tried again. */
  release(key: string) {
    if (this.#entries.get(key)?.id === null) this.#entries.delete(key);
  }
}
