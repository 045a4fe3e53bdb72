import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { GENERIC_WEBHOOK_HEADERS } from '../../integrations/signatures/generic-signature';
import { receiveGenericWebhook } from '../../services/generic-webhook';
import { webhookContext } from './context';

/** `POST /webhooks/generic?tenant=<id>`: signed JSON events (see the service for the contract). */
export const genericWebhook = new Hono<AppEnv>().post('/', async (c) => {
  const ctx = webhookContext(c, 'generic', c.req.query('tenant'));
  const outcome = await receiveGenericWebhook(ctx, {
    headers: {
      id: c.req.header(GENERIC_WEBHOOK_HEADERS.id),
      timestamp: c.req.header(GENERIC_WEBHOOK_HEADERS.timestamp),
      signature: c.req.header(GENERIC_WEBHOOK_HEADERS.signature),
    },
    rawBody: await c.req.text(),
  });
  return c.json(outcome, 200);
});
