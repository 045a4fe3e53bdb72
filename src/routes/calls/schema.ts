import { z } from '@hono/zod-openapi';
import { CALL_STATUSES } from '../../db/schema';
import { CallMetadata } from '../../services/call-upload';
import { ACCEPTED_AUDIO_TYPES } from '../../services/presigned-upload';
import { Timestamp } from '../shared/schemas';

export const Call = z
  .object({
    id: z.uuid(),
    agent_id: z.uuid().nullable(),
    source: z.enum(['upload', 'presigned', 'twilio', 'webhook']),
    direction: z.enum(['inbound', 'outbound']),
    started_at: Timestamp.nullable(),
    external_id: z.string().nullable(),
    customer_number: z.string().nullable(),
    tags: z.array(z.string()),
    status: z.enum(CALL_STATUSES),
    failure_reason: z.string().nullable(),
    audio: z.object({ content_type: z.string().nullable(), bytes: z.number().nullable(), channels: z.number().int() }),
    duration_seconds: z.number().int().nullable(),
    criteria_set_id: z.uuid().nullable(),
    overall_score: z.number().int().nullable(),
    created_at: Timestamp,
    completed_at: Timestamp.nullable(),
  })
  .openapi('Call');

export const AcceptedCall = z
  .object({ call_id: z.uuid(), status: z.enum(CALL_STATUSES), estimated_completion: Timestamp })
  .openapi('AcceptedCall');

export const ListCallsQuery = z.object({
  agent_id: z.uuid('must be a UUID').optional(),
  date_from: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
    .or(z.iso.date({ message: 'must be an ISO 8601 date' }))
    .optional(),
  date_to: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
    .or(z.iso.date({ message: 'must be an ISO 8601 date' }))
    .optional(),
  status: z.enum(CALL_STATUSES).optional(),
  min_score: z.coerce.number().int().min(0).max(100).optional(),
  max_score: z.coerce.number().int().min(0).max(100).optional(),
});

export const CreateUpload = z
  .strictObject({
    content_type: z.enum(ACCEPTED_AUDIO_TYPES),
    content_length: z.number().int().min(1, 'must be at least 1 byte'),
    metadata: CallMetadata.default({ direction: 'inbound', tags: [] }),
  })
  .openapi('CreateUpload');

export const PresignedUpload = z
  .object({
    call_id: z.uuid(),
    status: z.literal('uploaded'),
    upload_url: z.url(),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
    expires_in: z.number().int(),
  })
  .openapi('PresignedUpload');

export const CallDetail = z
  .object({
    call_info: Call,
    transcription: z.record(z.string(), z.unknown()).nullable(),
    qa_evaluation: z.record(z.string(), z.unknown()).nullable(),
    sentiment_analysis: z.record(z.string(), z.unknown()).nullable(),
    customer_behavior: z.record(z.string(), z.unknown()).nullable(),
    compliance_status: z
      .object({ compliant: z.boolean(), items: z.array(z.record(z.string(), z.unknown())) })
      .nullable(),
    summary: z.string().nullable(),
  })
  .openapi('CallDetail');

export const Transcription = z
  .object({
    call_id: z.uuid(),
    status: z.enum(['pending', 'completed', 'failed']),
    call_status: z.enum(CALL_STATUSES),
    failure_reason: z.string().nullable(),
    transcript: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('Transcription');

export const SpeakerLabels = z
  .strictObject({
    segments: z
      .array(z.strictObject({ index: z.number().int().min(0), speaker: z.enum(['agent', 'customer']) }))
      .min(1, 'must relabel at least one segment')
      .max(5000),
  })
  .openapi('SpeakerLabels');

export const Analysis = z
  .object({
    call_id: z.uuid(),
    call_status: z.enum(CALL_STATUSES),
    current: z.record(z.string(), z.unknown()).nullable(),
    history: z.array(z.record(z.string(), z.unknown())),
  })
  .openapi('Analysis');

export const Reanalysis = z.strictObject({ criteria_set_id: z.uuid('must be a UUID').nullish() }).openapi('Reanalysis');

export const Insight = z
  .object({
    id: z.uuid(),
    type: z.string(),
    category: z.string(),
    title: z.string(),
    severity: z.string(),
    suggestions: z.array(z.string()),
  })
  .openapi('Insight');

export const AudioUrl = z
  .object({ url: z.url(), content_type: z.string().nullable(), expires_in: z.number().int() })
  .openapi('AudioUrl');
