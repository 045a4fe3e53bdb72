import { Hono, type Context } from 'hono';
import type { AppEnv } from '../../context';
import { paramsFromForm, validateTwilioSignature } from '../../integrations/signatures/twilio-signature';
import { Forbidden, Invalid, NotFound } from '../../lib/errors';
import { loadIntegration, type TwilioConfig } from '../../services/integrations';
import { existingCall, fetchRecording, ingestRecording } from '../../services/recording-ingest';
import { hubFor } from '../../services/alerts';
import { agentFrom, webhookDb } from './context';

const SID = /^[A-Z]{2}[0-9a-zA-Z]{32}$/;

/**
 * Twilio recording status callbacks: `POST /webhooks/twilio/recording-status?tenant=<id>[&agent=<id>]`.
 * The signature covers the public URL Twilio was configured with (PUBLIC_URL + path + query), all
 * posted parameters, and the tenant's auth token. On `completed` the recording is fetched from
 * Twilio's media host with the account's credentials, stored, and becomes a call; the same
 * RecordingSid twice makes one call.
 */
/** Verifies a Twilio callback for the tenant it names; returns the tenant's context and the params. */
async function verifiedCallback(c: Context<AppEnv>) {
  const config = c.get('config');
  const url = new URL(c.req.url);
  const { db, tenantId } = webhookDb(config, url.searchParams.get('tenant') ?? undefined, 'twilio', c.get('requestId'));
  const signature = c.req.header('x-twilio-signature');
  if (!signature)
    throw new Invalid('X-Twilio-Signature is missing.', [{ field: 'X-Twilio-Signature', message: 'is required' }]);
  const params = paramsFromForm(await c.req.text());
  const integration = await loadIntegration<TwilioConfig>(db, config, tenantId, 'twilio');
  if (!integration) throw new NotFound('Twilio integration');
  const publicUrl = `${config.publicUrl}${url.pathname}${url.search}`;
  if (!(await validateTwilioSignature(integration.secret, signature, publicUrl, params)))
    throw new Forbidden('The Twilio signature does not match.');
  const get = (k: string) => (typeof params[k] === 'string' ? (params[k] as string) : undefined);
  if (get('AccountSid') !== integration.config.account_sid)
    throw new Forbidden('The callback is for another Twilio account.');
  return { config, url, db, tenantId, integration, get };
}

export const twilioWebhook = new Hono<AppEnv>()
  .post('/recording-status', async (c) => {
    const { config, url, db, tenantId, integration, get } = await verifiedCallback(c);
    const accountSid = get('AccountSid')!;
    if (get('RecordingStatus') !== 'completed')
      return c.json({ ignored: true, reason: `status ${get('RecordingStatus') ?? 'missing'}` }, 200);
    const recordingSid = get('RecordingSid');
    const recordingUrl = get('RecordingUrl');
    if (!recordingSid || !SID.test(recordingSid) || !recordingUrl)
      throw new Invalid('RecordingSid and RecordingUrl are required.', [
        { field: 'RecordingSid', message: 'is missing or malformed' },
      ]);

    const known = await existingCall(db, 'twilio', recordingSid);
    if (known) return c.json({ call_id: known, created: false }, 200);

    // Only Twilio's media host, only this account's recordings; WAV keeps the channels apart.
    const mediaOrigin = new URL(config.twilioMediaBaseUrl).origin;
    const expectedPrefix = `${config.twilioMediaBaseUrl}/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}`;
    if (recordingUrl.replace(/\.(wav|mp3)$/, '') !== expectedPrefix)
      throw new Forbidden(`Recordings are only fetched from ${mediaOrigin}.`);
    const media = await fetchRecording(`${expectedPrefix}.wav`, mediaOrigin, {
      authorization: `Basic ${btoa(`${accountSid}:${integration.secret}`)}`,
    });
    const startedAt = get('RecordingStartTime') ? new Date(get('RecordingStartTime')!).toISOString() : null;
    const { callId, created } = await ingestRecording(db, c.env, tenantId, integration.maxUploadMb, {
      source: 'twilio',
      externalId: recordingSid,
      media,
      agentId: agentFrom(integration.config, url.searchParams.get('agent')),
      direction: 'inbound',
      startedAt,
      customerNumber: null,
      channels: get('RecordingChannels') === '2' ? 2 : 1,
      tags: ['twilio'],
    });
    return c.json({ call_id: callId, created }, 200);
  })
  /**
   * Call status callbacks (`initiated`, `ringing`, `in-progress`, `completed`...):
   * `POST /webhooks/twilio/call-status?tenant=<id>&agent=<key>`, signed like the recording
   * callbacks. They move the live view: a call in progress is an active call and puts its agent
   * on a call; a finished one ends it and puts the agent in wrap-up.
   */
  .post('/call-status', async (c) => {
    const { tenantId, integration, get, url } = await verifiedCallback(c);
    const callSid = get('CallSid');
    const status = get('CallStatus');
    if (!callSid || !SID.test(callSid) || !status)
      throw new Invalid('CallSid and CallStatus are required.', [
        { field: 'CallSid', message: 'is missing or malformed' },
      ]);
    const agentId = agentFrom(integration.config, url.searchParams.get('agent'));
    const hub = hubFor(c.env, tenantId);
    await hub.configure(tenantId);
    const direction = get('Direction')?.startsWith('outbound') ? 'outbound' : 'inbound';
    if (status === 'in-progress') {
      await hub.publish({
        type: 'call.started',
        data: { call_id: callSid, agent_id: agentId, direction, from: get('From') ?? null },
        agent_id: agentId,
      });
      if (agentId) await hub.agentStatus({ agent_id: agentId, status: 'on_call' });
    } else if (['completed', 'busy', 'failed', 'no-answer', 'canceled'].includes(status)) {
      await hub.publish({
        type: 'call.ended',
        data: { call_id: callSid, agent_id: agentId, status, duration_seconds: Number(get('CallDuration') ?? 0) },
        agent_id: agentId,
      });
      if (agentId && status === 'completed') await hub.agentStatus({ agent_id: agentId, status: 'wrap_up' });
    }
    return c.json({ received: true, status }, 200);
  });
