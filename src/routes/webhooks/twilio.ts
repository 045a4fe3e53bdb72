import { Hono, type Context } from 'hono';
import type { AppEnv } from '../../context';
import { paramsFromForm } from '../../integrations/signatures/twilio-signature';
import { Invalid } from '../../lib/errors';
import { receiveCallStatus, receiveRecordingStatus, type TwilioCallback } from '../../services/twilio-callbacks';
import { webhookContext } from './context';

/** The tenant's context and the callback as the service needs it; a 2xx stops Twilio's retries. */
async function callbackOf(c: Context<AppEnv>) {
  const url = new URL(c.req.url);
  const ctx = webhookContext(c, 'twilio', url.searchParams.get('tenant') ?? undefined);
  const signature = c.req.header('x-twilio-signature');
  if (!signature)
    throw new Invalid('X-Twilio-Signature is missing.', [{ field: 'X-Twilio-Signature', message: 'is required' }]);
  const callback: TwilioCallback = {
    pathAndQuery: `${url.pathname}${url.search}`,
    signature,
    params: paramsFromForm(await c.req.text()),
    agentKey: url.searchParams.get('agent'),
  };
  return { ctx, callback };
}

/**
 * `POST /webhooks/twilio/recording-status?tenant=<id>[&agent=<key>]` and
 * `POST /webhooks/twilio/call-status?tenant=<id>&agent=<key>`.
 */
export const twilioWebhook = new Hono<AppEnv>()
  .post('/recording-status', async (c) => {
    const { ctx, callback } = await callbackOf(c);
    return c.json(await receiveRecordingStatus(ctx, callback), 200);
  })
  .post('/call-status', async (c) => {
    const { ctx, callback } = await callbackOf(c);
    return c.json(await receiveCallStatus(ctx, callback), 200);
  });
