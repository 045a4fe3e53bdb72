import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../../context';
import { webhookEvents } from '../../db/schema';
import { GENERIC_WEBHOOK_HEADERS, verifyGenericWebhook } from '../../integrations/signatures/generic-signature';
import { fieldErrors } from '../../lib/create-app';
import { Forbidden, Invalid, NotFound, Unauthenticated } from '../../lib/errors';
import { loadIntegration, type GenericConfig } from '../../services/integrations';
import { hubFor } from '../../services/alerts';
import { fetchRecording, ingestRecording } from '../../services/recording-ingest';
import { agentFrom, webhookDb } from './context';

const CallEvent = z.strictObject({
  type: z.enum(['call.started', 'call.ended']),
  call: z.strictObject({
    external_id: z.string().min(1).max(200),
    agent: z.string().max(200).optional(),
    direction: z.enum(['inbound', 'outbound']).default('inbound'),
    status: z.enum(['completed', 'missed', 'failed']).optional(),
  }),
});

const RecordingEvent = z.strictObject({
  type: z.literal('recording.completed'),
  recording: z.strictObject({ url: z.url(), channels: z.union([z.literal(1), z.literal(2)]).default(1) }),
  call: z
    .strictObject({
      external_id: z.string().min(1).max(200).optional(),
      agent: z.string().max(200).optional(),
      direction: z.enum(['inbound', 'outbound']).default('inbound'),
      started_at: z.iso.datetime({ offset: true }).optional(),
      customer_number: z.string().max(32).optional(),
    })
    .default({ direction: 'inbound' }),
});

/**
 * Signed JSON webhooks from any telephony provider (contract in
 * src/integrations/signatures/generic-signature.ts): `POST /webhooks/generic?tenant=<id>`.
 * HMAC-SHA256 over timestamp and raw body, 5 minutes' tolerance; an event id or signature seen
 * before is acknowledged and ignored. `recording.completed` becomes a call (the recording fetched
 * only from the tenant's listed origins); `call.started` / `call.ended` move the live view.
 */
export const genericWebhook = new Hono<AppEnv>().post('/', async (c) => {
  const config = c.get('config');
  const { db, tenantId } = webhookDb(config, c.req.query('tenant'), 'generic', c.get('requestId'));
  const raw = await c.req.text();
  const integration = await loadIntegration<GenericConfig>(db, config, tenantId, 'generic');
  if (!integration) throw new NotFound('Webhook integration');
  const verdict = await verifyGenericWebhook(integration.secret, c.req.raw.headers, raw);
  if (!verdict.ok) throw new Unauthenticated(`The webhook signature is not valid (${verdict.reason}).`);

  const signature = c.req.header(GENERIC_WEBHOOK_HEADERS.signature)!;
  // Both the id and the signature are remembered: the id is not signed, so a replay under a new id still repeats the signature.
  const [fresh] = await db.run([
    db.q.execute(sql`
      insert into ${webhookEvents} (tenant_id, provider, event_id)
      values (${tenantId}, 'generic', ${verdict.id}), (${tenantId}, 'generic', ${`sig:${signature.slice(0, 200)}`})
      on conflict do nothing
      returning event_id`),
  ]);
  if (fresh.rows.length < 2) return c.json({ duplicate: true }, 200);

  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(raw);
  } catch {
    throw new Invalid('The body is not JSON.');
  }
  const live = CallEvent.safeParse(parsedJson);
  if (live.success) {
    // Live telephony events move the command center; they create no call record.
    const { type, call } = live.data;
    const agentId = agentFrom(integration.config, call.agent);
    const hub = hubFor(c.env, tenantId);
    await hub.configure(tenantId);
    await hub.publish({
      type,
      data: {
        call_id: call.external_id,
        agent_id: agentId,
        direction: call.direction,
        ...(call.status ? { status: call.status } : {}),
      },
      agent_id: agentId,
    });
    if (agentId) await hub.agentStatus({ agent_id: agentId, status: type === 'call.started' ? 'on_call' : 'wrap_up' });
    return c.json({ received: true }, 200);
  }
  const parsed = RecordingEvent.safeParse(parsedJson);
  if (!parsed.success) throw new Invalid('The event is not valid.', fieldErrors(parsed.error));
  const event = parsed.data;
  const origin = new URL(event.recording.url).origin;
  if (!integration.config.media_origins.includes(origin))
    throw new Forbidden(`Recordings are only fetched from the configured origins.`);
  const media = await fetchRecording(event.recording.url, origin, {});
  const { callId, created } = await ingestRecording(db, c.env, tenantId, integration.maxUploadMb, {
    source: 'webhook',
    externalId: event.call.external_id ?? verdict.id,
    media,
    agentId: agentFrom(integration.config, event.call.agent),
    direction: event.call.direction,
    startedAt: event.call.started_at ?? null,
    customerNumber: event.call.customer_number ?? null,
    channels: event.recording.channels,
    tags: ['webhook'],
  });
  return c.json({ call_id: callId, created }, 200);
});
