/**
 * Webhook delivery as AssemblyAI does it: a JSON POST carrying only the id and status, the
 * configured auth header, a 10 s deadline per attempt, retries on failures and 5xx, and none
 * after a 4xx. AssemblyAI makes up to 10 attempts spread over minutes; the stand-in makes fewer,
 * closer together, so a receiver that is briefly down is retried within a test's lifetime.
 */
import { sleep } from '../shared/http.ts';

export const WEBHOOK_ATTEMPTS = 5;
const FIRST_RETRY_DELAY_MS = 100;
const ATTEMPT_TIMEOUT_MS = 10_000;

export interface WebhookDelivery {
  url: string;
  body: { transcript_id: string; status: 'completed' | 'error' };
  authHeader?: { name: string; value: string } | undefined;
  /** Aborted when the stand-in closes, so no delivery outlives it. */
  signal: AbortSignal;
  onAttempt(ok: boolean): void;
}

/** Resolves with the last HTTP status received, or null when no attempt got an answer. */
export async function deliverWebhook(d: WebhookDelivery): Promise<number | null> {
  let lastStatus: number | null = null;
  for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS && !d.signal.aborted; attempt++) {
    if (attempt > 1) await sleep(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 2), d.signal);
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(d.authHeader ? { [d.authHeader.name]: d.authHeader.value } : {}),
        },
        body: JSON.stringify(d.body),
        signal: AbortSignal.any([d.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
        redirect: 'manual',
      });
      // The answer's body is not read by AssemblyAI; drain it so the connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      lastStatus = res.status;
      const ok = res.status >= 200 && res.status < 300;
      d.onAttempt(ok);
      if (ok || (res.status >= 400 && res.status < 500)) return lastStatus;
    } catch {
      if (d.signal.aborted) return lastStatus;
      d.onAttempt(false);
    }
  }
  return lastStatus;
}
