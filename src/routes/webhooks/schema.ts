import { createRoute, z } from '@hono/zod-openapi';
import { GENERIC_WEBHOOK_HEADERS } from '../../integrations/signatures/generic-signature';
import { jsonBody, jsonResponse, problemResponses, TenantIdSchema } from '../shared/schemas';

/**
 * The provider callbacks, as the document describes them. The handlers verify a signature or a
 * shared secret instead of a bearer token, so every operation here is `security: []`; they are
 * plain Hono routes (each parses its raw body itself, to check the signature over it), so these
 * definitions are registered for the document only.
 */
const tags = ['Webhooks'];
const TenantQuery = z.object({
  tenant: TenantIdSchema.openapi({ description: 'The tenant the webhook URL was issued for' }),
});

export const WebhookReceipt = z
  .object({
    received: z.literal(true).optional(),
    duplicate: z
      .literal(true)
      .optional()
      .openapi({ description: 'Already processed: the same event id, signed timestamp and body, or Twilio status' }),
    ignored: z.literal(true).optional(),
    reason: z.string().optional(),
    status: z.string().optional().openapi({ description: 'The call status Twilio reported' }),
    call_id: z.uuid().optional().openapi({ description: 'The call a recording became' }),
    created: z.boolean().optional().openapi({ description: 'false when the recording was already a call' }),
  })
  .openapi('WebhookReceipt');

export const AssemblyaiQuery = TenantQuery.extend({
  call: z.uuid().openapi({ description: 'The call being transcribed' }),
});
// Only {transcript_id, status}; the redacted-audio notification has another shape and is ignored.
export const AssemblyaiBody = z
  .object({ transcript_id: z.string().min(1).max(100).optional(), status: z.string().max(50) })
  .openapi('AssemblyaiWebhook');

export const assemblyaiWebhookRoute = createRoute({
  method: 'post',
  path: '/webhooks/assemblyai',
  operationId: 'receiveAssemblyaiWebhook',
  tags,
  security: [],
  summary: 'AssemblyAI: a transcript finished (shared secret in the webhook auth header)',
  request: {
    query: AssemblyaiQuery,
    body: jsonBody(AssemblyaiBody),
  },
  responses: {
    200: jsonResponse(WebhookReceipt, 'Received; the collect step fetches the transcript'),
    ...problemResponses,
  },
});

const TwilioForm = (fields: Record<string, z.ZodType>, name: string) => ({
  required: true,
  content: {
    'application/x-www-form-urlencoded': {
      schema: z
        .object({ AccountSid: z.string(), ...fields })
        .catchall(z.string())
        .openapi(name),
    },
  },
});
const TwilioHeaders = z.object({
  'x-twilio-signature': z
    .string()
    .openapi({ description: 'HMAC-SHA1 of PUBLIC_URL + path + query and the posted parameters' }),
});
const TwilioQuery = TenantQuery.extend({
  agent: z.string().optional().openapi({ description: "A key of the integration's agent mapping" }),
});

export const twilioRecordingWebhookRoute = createRoute({
  method: 'post',
  path: '/webhooks/twilio/recording-status',
  operationId: 'receiveTwilioRecordingStatus',
  tags,
  security: [],
  summary: 'Twilio recording status callback: a completed recording becomes a call',
  request: {
    query: TwilioQuery,
    headers: TwilioHeaders,
    body: TwilioForm(
      {
        RecordingSid: z.string(),
        RecordingUrl: z.url(),
        RecordingStatus: z.string(),
        RecordingStartTime: z.string().optional(),
        RecordingChannels: z.enum(['1', '2']).optional(),
      },
      'TwilioRecordingStatus',
    ),
  },
  responses: { 200: jsonResponse(WebhookReceipt, 'Received'), ...problemResponses },
});

export const twilioCallStatusWebhookRoute = createRoute({
  method: 'post',
  path: '/webhooks/twilio/call-status',
  operationId: 'receiveTwilioCallStatus',
  tags,
  security: [],
  summary: 'Twilio call status callback: moves the live command center',
  request: {
    query: TwilioQuery,
    headers: TwilioHeaders,
    body: TwilioForm(
      {
        CallSid: z.string(),
        CallStatus: z.string(),
        Direction: z.string().optional(),
        From: z.string().optional(),
        CallDuration: z.string().optional(),
        SequenceNumber: z.string().openapi({ description: 'Orders the statuses of one call; an older one is ignored' }),
        Timestamp: z.string().openapi({ description: 'RFC 2822; a callback more than an hour old is ignored' }),
      },
      'TwilioCallStatus',
    ),
  },
  responses: { 200: jsonResponse(WebhookReceipt, 'Received'), ...problemResponses },
});

const GenericCall = z.object({
  external_id: z.string().min(1).max(200),
  agent: z.string().max(200).optional(),
  direction: z.enum(['inbound', 'outbound']).default('inbound'),
});

export const GenericWebhookEvent = z
  .union([
    z.object({
      type: z.enum(['call.started', 'call.ended']),
      call: GenericCall.extend({ status: z.enum(['completed', 'missed', 'failed']).optional() }),
    }),
    z.object({
      type: z.literal('recording.completed'),
      recording: z.object({ url: z.url(), channels: z.union([z.literal(1), z.literal(2)]).default(1) }),
      call: GenericCall.partial({ external_id: true })
        .extend({
          started_at: z.iso.datetime({ offset: true }).optional(),
          customer_number: z.string().max(32).optional(),
        })
        .optional(),
    }),
  ])
  .openapi('GenericWebhookEvent');

export const genericWebhookRoute = createRoute({
  method: 'post',
  path: '/webhooks/generic',
  operationId: 'receiveGenericWebhook',
  tags,
  security: [],
  summary: 'Signed JSON webhook from any telephony provider (HMAC-SHA256 over event id, timestamp and raw body)',
  request: {
    query: TenantQuery,
    headers: z.object({
      [GENERIC_WEBHOOK_HEADERS.id.toLowerCase()]: z
        .string()
        .openapi({ description: 'Unique per event, signed; repeats are acknowledged and ignored' }),
      [GENERIC_WEBHOOK_HEADERS.timestamp.toLowerCase()]: z
        .string()
        .openapi({ description: 'Unix seconds; more than 5 minutes off is refused' }),
      [GENERIC_WEBHOOK_HEADERS.signature.toLowerCase()]: z.string().openapi({
        description:
          'v2=<64 lower-case hex HMAC-SHA256 with the integration secret over "<id>.<timestamp>.<raw body>">, up to three entries separated by one space; no other spelling is accepted',
      }),
    }),
    body: jsonBody(GenericWebhookEvent),
  },
  responses: { 200: jsonResponse(WebhookReceipt, 'Received, or a duplicate acknowledged'), ...problemResponses },
});

export const webhookRoutes = [
  assemblyaiWebhookRoute,
  twilioRecordingWebhookRoute,
  twilioCallStatusWebhookRoute,
  genericWebhookRoute,
];
