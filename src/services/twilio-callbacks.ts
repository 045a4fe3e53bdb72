/**
 * Twilio's recording and call status callbacks. The signature covers the public URL Twilio was
 * configured with (PUBLIC_URL + path + query), all posted parameters, and the tenant's auth
 * token. A completed recording is fetched from Twilio's media host with the account's
 * credentials, stored, and becomes a call; the same RecordingSid twice makes one call. Call
 * status callbacks move the live view.
 */
import type { ServiceContext, WebhookActor } from '../context';
import { validateTwilioSignature } from '../integrations/signatures/twilio-signature';
import { Forbidden, Invalid, NotFound } from '../lib/errors';
import { callFromProvider } from './call-intake';
import { agentFrom, loadIntegration, type TwilioConfig } from './integrations';
import { fetchRecording, ingestRecording } from './recording-ingest';
import { tenantOf } from './scope';

const SID = /^[A-Z]{2}[0-9a-zA-Z]{32}$/;

export interface TwilioCallback {
  /** Path and query as Twilio called them; the signature is over PUBLIC_URL + these. */
  pathAndQuery: string;
  signature: string;
  params: Record<string, string | string[]>;
  /** The `agent` query parameter: the key of the tenant's agent mapping. */
  agentKey: string | null;
}

/** Verifies a callback for the tenant it names; returns the integration and a parameter reader. */
async function verified(ctx: ServiceContext<WebhookActor>, cb: TwilioCallback) {
  const integration = await loadIntegration<TwilioConfig>(ctx, 'twilio');
  if (!integration) throw new NotFound('Twilio integration');
  const publicUrl = `${ctx.config.publicUrl}${cb.pathAndQuery}`;
  if (!(await validateTwilioSignature(integration.secret, cb.signature, publicUrl, cb.params)))
    throw new Forbidden('The Twilio signature does not match.');
  const get = (k: string) => (typeof cb.params[k] === 'string' ? (cb.params[k] as string) : undefined);
  if (get('AccountSid') !== integration.config.account_sid)
    throw new Forbidden('The callback is for another Twilio account.');
  return { integration, get, agentId: agentFrom(integration.config, cb.agentKey) };
}

export type RecordingOutcome = { ignored: true; reason: string } | { call_id: string; created: boolean };

export async function receiveRecordingStatus(
  ctx: ServiceContext<WebhookActor>,
  cb: TwilioCallback,
): Promise<RecordingOutcome> {
  const { integration, get, agentId } = await verified(ctx, cb);
  const accountSid = get('AccountSid')!;
  if (get('RecordingStatus') !== 'completed')
    return { ignored: true, reason: `status ${get('RecordingStatus') ?? 'missing'}` };
  const recordingSid = get('RecordingSid');
  const recordingUrl = get('RecordingUrl');
  if (!recordingSid || !SID.test(recordingSid) || !recordingUrl)
    throw new Invalid('RecordingSid and RecordingUrl are required.', [
      { field: 'RecordingSid', message: 'is missing or malformed' },
    ]);

  const known = await callFromProvider(ctx, 'twilio', recordingSid);
  if (known) return { call_id: known, created: false };

  // Only Twilio's media host, only this account's recordings; WAV keeps the channels apart.
  const base = ctx.config.twilioMediaBaseUrl;
  const mediaOrigin = new URL(base).origin;
  const expectedPrefix = `${base}/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}`;
  if (recordingUrl.replace(/\.(wav|mp3)$/, '') !== expectedPrefix)
    throw new Forbidden(`Recordings are only fetched from ${mediaOrigin}.`);
  const media = await fetchRecording(`${expectedPrefix}.wav`, mediaOrigin, {
    authorization: `Basic ${btoa(`${accountSid}:${integration.secret}`)}`,
  });
  const startedAt = get('RecordingStartTime') ? new Date(get('RecordingStartTime')!).toISOString() : null;
  const { callId, created } = await ingestRecording(ctx, integration.maxUploadMb, {
    source: 'twilio',
    externalId: recordingSid,
    media,
    agentId,
    direction: 'inbound',
    startedAt,
    customerNumber: null,
    channels: get('RecordingChannels') === '2' ? 2 : 1,
    tags: ['twilio'],
  });
  return { call_id: callId, created };
}

const ENDED = ['completed', 'busy', 'failed', 'no-answer', 'canceled'];

/**
 * `initiated`, `ringing`, `in-progress`, `completed`...: a call in progress is an active call and
 * puts its agent on a call; a finished one ends it and puts the agent in wrap-up.
 */
export async function receiveCallStatus(ctx: ServiceContext<WebhookActor>, cb: TwilioCallback) {
  const { get, agentId } = await verified(ctx, cb);
  const tenantId = tenantOf(ctx);
  const callSid = get('CallSid');
  const status = get('CallStatus');
  if (!callSid || !SID.test(callSid) || !status)
    throw new Invalid('CallSid and CallStatus are required.', [
      { field: 'CallSid', message: 'is missing or malformed' },
    ]);
  const hub = ctx.hub(tenantId);
  await hub.configure(tenantId);
  const direction = get('Direction')?.startsWith('outbound') ? 'outbound' : 'inbound';
  if (status === 'in-progress') {
    await hub.publish({
      type: 'call.started',
      data: { call_id: callSid, agent_id: agentId, direction, from: get('From') ?? null },
      agent_id: agentId,
    });
    if (agentId) await hub.agentStatus({ agent_id: agentId, status: 'on_call' });
  } else if (ENDED.includes(status)) {
    await hub.publish({
      type: 'call.ended',
      data: { call_id: callSid, agent_id: agentId, status, duration_seconds: Number(get('CallDuration') ?? 0) },
      agent_id: agentId,
    });
    if (agentId && status === 'completed') await hub.agentStatus({ agent_id: agentId, status: 'wrap_up' });
  }
  return { received: true as const, status };
}
