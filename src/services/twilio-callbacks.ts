/**
 * Twilio's recording and call status callbacks. The signature covers the public URL Twilio was
 * configured with (PUBLIC_URL + path + query), all posted parameters, and the tenant's auth
 * token. A completed recording is fetched from Twilio's media host with the account's
 * credentials, stored, and becomes a call; the same RecordingSid twice makes one call. Call
 * status callbacks move the live view, each call's statuses in Twilio's order, once.
 */
import { sql } from 'drizzle-orm';
import type { ServiceContext, WebhookActor } from '../context';
import { webhookEvents } from '../db/schema';
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
    throw new Forbidden("Recordings are only fetched from Twilio's media host, for this account.");
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
 * Twilio's signature has no timestamp, so a captured callback verifies forever. The signed `Timestamp`
 * bounds how long one counts, and the signed `SequenceNumber` (per call, from 0) orders what arrives
 * inside that window. Twilio posts status callbacks as they fire; an hour is ample for a late one.
 */
export const CALL_STATUS_MAX_AGE_SECONDS = 3600;
const CLOCK_SKEW_SECONDS = 300;

export type CallStatusOutcome =
  | { received: true; status: string }
  | { duplicate: true; status: string }
  | { ignored: true; reason: string; status: string };

/**
 * `initiated`, `ringing`, `in-progress`, `completed`...: a call in progress is an active call and
 * puts its agent on a call; a finished one ends it and puts the agent in wrap-up. A callback older
 * than the window, or not later in its call's sequence than one already applied, moves nothing.
 */
export async function receiveCallStatus(
  ctx: ServiceContext<WebhookActor>,
  cb: TwilioCallback,
): Promise<CallStatusOutcome> {
  const { get, agentId } = await verified(ctx, cb);
  const tenantId = tenantOf(ctx);
  const callSid = get('CallSid');
  const status = get('CallStatus');
  if (!callSid || !SID.test(callSid) || !status)
    throw new Invalid('CallSid and CallStatus are required.', [
      { field: 'CallSid', message: 'is missing or malformed' },
    ]);
  const sequenceText = get('SequenceNumber');
  const firedAt = Date.parse(get('Timestamp') ?? '');
  if (!sequenceText || !/^\d{1,9}$/.test(sequenceText) || Number.isNaN(firedAt))
    throw new Invalid('Call progress callbacks need SequenceNumber and Timestamp (set statusCallbackEvent).', [
      ...(!sequenceText || !/^\d{1,9}$/.test(sequenceText)
        ? [{ field: 'SequenceNumber', message: 'is missing or malformed' }]
        : []),
      ...(Number.isNaN(firedAt) ? [{ field: 'Timestamp', message: 'is missing or not an RFC 2822 date' }] : []),
    ]);
  const ageSeconds = (Date.now() - firedAt) / 1000;
  if (ageSeconds > CALL_STATUS_MAX_AGE_SECONDS || ageSeconds < -CLOCK_SKEW_SECONDS)
    return { ignored: true, reason: 'outside the accepted time window', status };

  // One row per call holds the highest sequence number applied; it moves only forward.
  const sequence = Number(sequenceText);
  const [result] = await ctx.db.run((q) => [
    q.execute(sql`
      with prior as (
        select sequence from ${webhookEvents}
        where tenant_id = ${tenantId} and provider = 'twilio-call-status' and event_id = ${callSid}
      ), applied as (
        insert into ${webhookEvents} (tenant_id, provider, event_id, sequence)
        values (${tenantId}, 'twilio-call-status', ${callSid}, ${sequence})
        on conflict (tenant_id, provider, event_id) do update
          set sequence = excluded.sequence, received_at = now()
          where ${webhookEvents}.sequence is null or ${webhookEvents}.sequence < excluded.sequence
        returning 1
      )
      select (select sequence from prior) as prior, exists (select 1 from applied) as applied`),
  ]);
  const order = result.rows[0] as { prior: number | string | null; applied: boolean } | undefined;
  if (!order?.applied) {
    return Number(order?.prior) === sequence
      ? { duplicate: true, status }
      : { ignored: true, reason: 'a later status of this call was already received', status };
  }

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
  return { received: true, status };
}
