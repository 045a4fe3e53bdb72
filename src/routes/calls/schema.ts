import { z } from '@hono/zod-openapi';
import { CALL_STATUSES, GRADING_MODES, REGULATION_TYPES, REQUIREMENT_SEVERITIES } from '../../db/schema';
import { EffectiveScore, ReviewStatus, ReviewSummary } from '../reviews/schema';
import { CallMetadata } from '../../services/call-upload';
import { ACCEPTED_AUDIO_TYPES } from '../../services/presigned-upload';
import { orNull, Timestamp } from '../shared/schemas';

/** A criterion of the tenant (its UUID) or, for a tenant with no criteria yet, a platform template's key. */
const CriterionRef = z.string().openapi({ description: "the criterion's id, or a template key such as 'greeting'" });

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
    headers: z.record(z.string(), z.string()).openapi({
      description:
        'The headers the PUT must carry, with exactly these values: content-type and content-length are signed, so a body of any other size or type is refused (403)',
    }),
    expires_in: z.number().int(),
  })
  .openapi('PresignedUpload');

const Sentiment = z.enum(['positive', 'neutral', 'negative']);

export const TranscriptSegment = z
  .object({
    index: z
      .number()
      .int()
      .openapi({ description: 'Position in the transcript; PUT .../transcription names segments by it' }),
    speaker: z.string().openapi({ description: "The provider's speaker label (A, B...) or the channel (1, 2)" }),
    role: z.enum(['agent', 'customer', 'unknown']),
    text: z.string(),
    start_ms: z.number(),
    end_ms: z.number(),
    confidence: z.number(),
    sentiment: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: 'POSITIVE, NEUTRAL or NEGATIVE, when analysed' }),
  })
  .openapi('TranscriptSegment');

export const Transcript = z
  .object({
    provider_id: z.string().openapi({ description: "The transcription provider's id for this transcript" }),
    language_code: z.string().nullable(),
    duration_seconds: z.number().int().nullable(),
    speaker_roles: z
      .record(z.string(), z.enum(['agent', 'customer']))
      .openapi({ description: 'Role of each speaker label, e.g. {"A": "agent", "B": "customer"}' }),
    text: z.string(),
    segments: z.array(TranscriptSegment),
    updated_at: Timestamp,
  })
  .openapi('Transcript');

export const CriterionResult = z
  .object({
    criterion_id: CriterionRef,
    name: z.string(),
    version: z.number().int().openapi({ description: 'The criterion version the call was scored with' }),
    max_points: z.number().int(),
    auto_fail: z.boolean(),
    score: z.number().int().min(0),
    passed: z.boolean(),
    auto_fail_triggered: z.boolean(),
    evidence: z
      .array(z.object({ quote: z.string(), start_seconds: z.number().min(0) }))
      .openapi({ description: 'Verbatim quotes from the transcript that justify the score' }),
    reasoning: z.string(),
  })
  .openapi('CriterionResult');

export const Evaluation = z
  .object({
    id: z.uuid(),
    run: z.enum(['initial', 're-analysis']),
    grading_mode: z
      .enum(GRADING_MODES)
      .openapi({ description: "The criteria set's grading mode when the call was scored" }),
    overall_score: z
      .number()
      .int()
      .min(0)
      .max(100)
      .nullable()
      .openapi({ description: "The model's score, kept as scored; null for a manual set" }),
    auto_failed: z.boolean().nullable(),
    criteria_set: z.object({ id: z.uuid().nullable(), version: z.number().int().nullable() }),
    criteria: z
      .array(CriterionResult)
      .openapi({ description: "The model's result per criterion; empty for a manual set" }),
    model: z.string().nullable(),
    transcript_truncated: z.boolean().openapi({ description: 'A long call was scored on its beginning and end' }),
    requested_by: z.string().nullable(),
    created_at: Timestamp,
    released_at: Timestamp.nullable().openapi({
      description: "When the call's agent could first see it; null while it waits for review",
    }),
    review_status: ReviewStatus,
    effective: orNull(EffectiveScore),
    review: orNull(ReviewSummary).openapi({
      description: "The human scores beside the model's (GET .../review shows them per criterion)",
    }),
  })
  .openapi('Evaluation');

export const SentimentAnalysis = z
  .object({
    overall: Sentiment,
    customer: Sentiment,
    agent: Sentiment,
    trajectory: z.enum(['improving', 'stable', 'worsening']),
  })
  .openapi('SentimentAnalysis');

export const CustomerBehavior = z
  .object({
    emotions: z.array(z.string()),
    escalation_requested: z.boolean(),
    churn_risk: z.enum(['low', 'medium', 'high']),
  })
  .openapi('CustomerBehavior');

/**
 * One compliance finding. Items judged against a compliance template carry the template, its
 * version and the requirement as judged; without templates only the first three fields exist.
 */
export const ComplianceItem = z
  .object({
    requirement: z.string().openapi({ description: 'The requirement text as judged' }),
    met: z.boolean().openapi({ description: 'False only when the requirement was not met' }),
    evidence: z.string().nullable().openapi({ description: 'The first evidence quote' }),
    status: z.enum(['met', 'not_met', 'not_applicable']).optional(),
    template_id: z.uuid().optional(),
    template_name: z.string().optional(),
    template_version: z.number().int().optional(),
    regulation_type: z.enum(REGULATION_TYPES).optional(),
    requirement_key: z.string().optional(),
    title: z.string().nullable().optional(),
    severity: z.enum(REQUIREMENT_SEVERITIES).optional(),
    evidence_quotes: z.array(z.object({ quote: z.string(), start_seconds: z.number() })).optional(),
    reasoning: z.string().nullable().optional(),
  })
  .openapi('ComplianceItem');

/** A criterion as it was when the call was scored (the evaluation keeps it, so later edits do not rewrite history). */
export const ScoredCriterion = z
  .object({
    id: CriterionRef,
    name: z.string(),
    description: z.string().nullable(),
    category: z.string(),
    max_points: z.number().int(),
    auto_fail: z.boolean(),
    evaluation_prompts: z.array(z.string()),
    version: z.number().int(),
  })
  .openapi('ScoredCriterion');

export const EvaluationDetail = Evaluation.extend({
  compliance: z.array(ComplianceItem),
  sentiment: orNull(SentimentAnalysis),
  customer_behavior: orNull(CustomerBehavior),
  summary: z.string(),
  criteria_snapshot: z.array(ScoredCriterion),
}).openapi('EvaluationDetail');

export const CallDetail = z
  .object({
    call_info: Call,
    transcription: orNull(Transcript),
    qa_evaluation: orNull(Evaluation),
    sentiment_analysis: orNull(SentimentAnalysis),
    customer_behavior: orNull(CustomerBehavior),
    compliance_status: z.object({ compliant: z.boolean(), items: z.array(ComplianceItem) }).nullable(),
    summary: z.string().nullable(),
  })
  .openapi('CallDetail');

export const Transcription = z
  .object({
    call_id: z.uuid(),
    status: z.enum(['pending', 'completed', 'failed']),
    call_status: z.enum(CALL_STATUSES),
    failure_reason: z.string().nullable(),
    transcript: orNull(Transcript),
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
    current: orNull(EvaluationDetail),
    history: z.array(Evaluation).openapi({ description: 'Earlier evaluations, newest first' }),
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

// The shapes the services present; their JSON columns are stored untyped, so presenters name these.
export type Evaluation = z.infer<typeof Evaluation>;
export type CriterionResult = z.infer<typeof CriterionResult>;
export type ComplianceItem = z.infer<typeof ComplianceItem>;
export type SentimentAnalysis = z.infer<typeof SentimentAnalysis>;
export type CustomerBehavior = z.infer<typeof CustomerBehavior>;
export type ScoredCriterion = z.infer<typeof ScoredCriterion>;
