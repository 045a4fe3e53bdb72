import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { paramsFromForm, validateTwilioSignature } from '../../integrations/signatures/twilio-signature';
import { Forbidden, Invalid, NotFound } from '../../lib/errors';
import { loadIntegration, type TwilioConfig } from '../../services/integrations';
import { existingCall, fetchRecording, ingestRecording } from '../../services/recording-ingest';
import { agentFrom, webhookDb } from './context';

const SID = /^[A-Z]{2}[0-9a-zA-Z]{32}$/;

/**
 * Twilio recording status callbacks: `POST /webhooks/twilio/recording-status?tenant=<id>[&agent=<id>]`.
 * The signature covers the public URL Twilio was configured with (PUBLIC_URL + path + query), all
 * posted parameters, and the tenant's auth token. On `completed` the recording is fetched from
 * Twilio's media host with the account's credentials, stored, and becomes a call; the same
 * RecordingSid twice makes one call.
 */
export const twilioWebhook = new Hono<AppEnv>().post('/recording-status', async (c) => {
  const config = c.get('config');
  const url = new URL(c.req.url);
  const { db, tenantId } = webhookDb(config, url.searchParams.get('tenant') ?? undefined, 'twilio', c.get('requestId'));
  const signature = c.req.header('x-twilio-signature');
  if (!signature) throw new Invalid('X-Twilio-Signature is missing.', [{ field: 'X-Twilio-Signature', message: 'is required' }]);
  const params = paramsFromForm(await c.req.text());
  const integration = await loadIntegration<TwilioConfig>(db, config, tenantId, 'twilio');
  if (!integration) throw new NotFound('Twilio integration');
  const publicUrl = `${config.publicUrl}${url.pathname}${url.search}`;
  if (!(await validateTwilioSignature(integration.secret, signature, publicUrl, params))) throw new Forbidden('The Twilio signature does not match.');

  const get = (k: string) => (typeof params[k] === 'string' ? (params[k] as string) : undefined);
  const accountSid = get('AccountSid');
  if (accountSid !== integration.config.account_sid) throw new Forbidden('The callback is for another Twilio account.');
  if (get('RecordingStatus') !== 'completed') return c.json({ ignored: true, reason: `status ${get('RecordingStatus') ?? 'missing'}` }, 200);
  const recordingSid = get('RecordingSid');
  const recordingUrl = get('RecordingUrl');
  if (!recordingSid || !SID.test(recordingSid) || !recordingUrl) throw new Invalid('RecordingSid and RecordingUrl are required.', [{ field: 'RecordingSid', message: 'is missing or malformed' }]);

  const known = await existingCall(db, 'twilio', recordingSid);
  if (known) return c.json({ call_id: known, created: false }, 200);

  // Only Twilio's media host, only this account's recordings; WAV keeps the channels apart.
  const mediaOrigin = new URL(config.twilioMediaBaseUrl).origin;
  const expectedPrefix = `${config.twilioMediaBaseUrl}/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}`;
  if (recordingUrl.replace(/\.(wav|mp3)$/, '') !== expectedPrefix) throw new Forbidden(`Recordings are only fetched from ${mediaOrigin}.`);
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
});
