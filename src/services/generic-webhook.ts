/**
 * Signed JSON webhooks from any telephony provider (contract in
 * src/integrations/signatures/generic-signature.ts). HMAC-SHA256 over event id, timestamp and raw
 * body, 5 minutes' tolerance; an event id, or a signed timestamp and body, seen before is
 * acknowledged and ignored.
 * `recording.completed` becomes a call (the recording fetched only from the tenant's listed
 * origins); `call.started` / `call.ended` move the live view.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ServiceContext, WebhookActor } from '../context';
import { webhookEvents } from '../db/schema';
import { genericDeliveryDigest, verifyGenericWebhook } from '../integrations/signatures/generic-signature';
import { Forbidden, Invalid, NotFound, Unauthenticated } from '../lib/errors';
import { fieldErrors } from '../lib/field-errors';
import { mediaOriginProblem } from '../lib/media-origin';
import { agentFrom, loadIntegration, type GenericConfig } from './integrations';
import { fetchRecording, ingestRecording } from './recording-ingest';
import { tenantOf } from './scope';

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

export interface GenericDelivery {
  /** The three X-QA-Webhook-* headers as received. */
  headers: { id?: string; timestamp?: string; signature?: string };
  rawBody: string;
}

export type GenericOutcome = { duplicate: true } | { received: true } | { call_id: string; created: boolean };

export async function receiveGenericWebhook(
  ctx: ServiceContext<WebhookActor>,
  delivery: GenericDelivery,
): Promise<GenericOutcome> {
  const tenantId = tenantOf(ctx);
  const integration = await loadIntegration<GenericConfig>(ctx, 'generic');
  if (!integration) throw new NotFound('Webhook integration');
  const { headers, rawBody } = delivery;
  const verdict = await verifyGenericWebhook(
    integration.secret,
    {
      'X-QA-Webhook-Id': headers.id,
      'X-QA-Webhook-Timestamp': headers.timestamp,
      'X-QA-Webhook-Signature': headers.signature,
    },
    rawBody,
  );
  if (!verdict.ok) throw new Unauthenticated(`The webhook signature is not valid (${verdict.reason}).`);

  // A delivery is new only if neither its (signed) id nor its signed timestamp and body were seen: a
  // retry keeps the id, and a resend of a capture repeats the timestamp and body. Both keys are written
  // together or not at all. The sweeper purges rows after 24 hours.
  const digest = await genericDeliveryDigest(headers.timestamp!, rawBody);
  const [fresh] = await ctx.db.run((q) => [
    q.execute(sql`
      with keys (provider, event_id) as (values ('generic', ${verdict.id}), ('generic-digest', ${digest}))
      insert into ${webhookEvents} (tenant_id, provider, event_id)
      select ${tenantId}, k.provider, k.event_id from keys k
      where not exists (
        select 1 from ${webhookEvents} w join keys k2 using (provider, event_id) where w.tenant_id = ${tenantId})
      on conflict do nothing
      returning event_id`),
  ]);
  if (fresh.rows.length < 2) return { duplicate: true };

  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new Invalid('The body is not JSON.');
  }
  const live = CallEvent.safeParse(json);
  if (live.success) {
    // Live telephony events move the command center; they create no call record.
    const { type, call } = live.data;
    const agentId = agentFrom(integration.config, call.agent);
    const hub = ctx.hub(tenantId);
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
    return { received: true };
  }
  const parsed = RecordingEvent.safeParse(json);
  if (!parsed.success) throw new Invalid('The event is not valid.', fieldErrors(parsed.error));
  const event = parsed.data;
  const origin = new URL(event.recording.url).origin;
  // Checked again here: a list saved before the rule existed must not be fetched from either.
  if (
    !integration.config.media_origins.includes(origin) ||
    mediaOriginProblem(origin, { allowLoopback: ctx.config.allowLoopbackMediaOrigins })
  )
    throw new Forbidden(`Recordings are only fetched from the integration's media origins.`);
  const media = await fetchRecording(event.recording.url, origin, {});
  const { callId, created } = await ingestRecording(ctx, integration.maxUploadMb, {
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
  return { call_id: callId, created };
}
