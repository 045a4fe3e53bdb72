/**
 * Delivering callbacks the way Twilio does: a form-encoded POST signed for the URL the tenant configured
 * at Twilio (`publicUrl`), which may differ from where the request really goes (`deliverTo`, e.g. the
 * API under `wrangler dev` behind what would be a tunnel or proxy). fetch only, so workerd can run it too.
 */
import { twilioSignature } from '../../src/integrations/signatures/twilio-signature.ts';

export interface CallbackDelivery {
  /** where the POST is sent */
  deliverTo: string;
  /** the URL configured at Twilio, query string included; the signature covers this one */
  publicUrl: string;
  authToken: string;
  params: Record<string, string>;
  /**
   * `I-Twilio-Idempotency-Token`; Twilio keeps it across retries of one event. Pass the same value
   * twice to play a retry; default a fresh UUID.
   */
  idempotencyToken?: string | undefined;
}

/** Twilio gives up on a webhook after 15 s by default. */
const TIMEOUT_MS = 15_000;

export async function sendTwilioCallback(o: CallbackDelivery): Promise<Response> {
  const signature = await twilioSignature(o.authToken, o.publicUrl, o.params);
  return fetch(o.deliverTo, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: '*/*',
      'User-Agent': 'TwilioProxy/1.1',
      'X-Twilio-Signature': signature,
      'I-Twilio-Idempotency-Token': o.idempotencyToken ?? crypto.randomUUID(),
    },
    body: new URLSearchParams(o.params).toString(),
    // The caller sees the API's own answer, a redirect included.
    redirect: 'manual',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
}

/** A recording status callback; build `params` with `recordingCallbackParams`. */
export function sendRecordingStatusCallback(o: CallbackDelivery): Promise<Response> {
  return sendTwilioCallback(o);
}

/** A call status callback; build `params` with `callStatusCallbackParams`. */
export function sendCallStatusCallback(o: CallbackDelivery): Promise<Response> {
  return sendTwilioCallback(o);
}
