import { z } from '@hono/zod-openapi';
import { GRADING_MODES, REVIEW_SOURCES } from '../../db/schema';
import { OlderThanHours, orNull, Timestamp } from '../shared/schemas';

const Comment = z.string().trim().max(2000, 'must be at most 2000 characters');

export const ReviewStatus = z.enum(['waiting', 'reviewed', 'not_required']).openapi({
  description:
    'waiting: held back until a human scores it (ai_review, manual); reviewed: a review exists; not_required: ai_auto, not reviewed',
});

/** A human's value for one criterion, as stored beside the model's. */
export const HumanScore = z
  .object({
    score: z.number().int(),
    passed: z.boolean(),
    auto_failed: z.boolean(),
    comment: z.string().nullable(),
    confirmed: z.boolean().openapi({ description: "The reviewer took the model's result as it is" }),
    source: z.enum(REVIEW_SOURCES).openapi({ description: 'What set it: a review, or a resolved dispute' }),
    source_id: z.uuid().nullable().openapi({ description: 'The dispute that set it, for source dispute' }),
    reviewed_by: z.string(),
    reviewed_at: Timestamp,
  })
  .openapi('HumanScore');

export const EffectiveScore = z
  .object({
    overall_score: z.number().int().min(0).max(100),
    auto_failed: z.boolean(),
    source: z.enum(['model', 'review']),
  })
  .openapi('EffectiveScore', {
    description: "The score in force: the review's once one exists, else the model's; null while the evaluation waits",
  });

export const ReviewSummary = z
  .object({
    id: z.uuid(),
    overall_score: z.number().int().min(0).max(100).openapi({ description: 'The effective overall score' }),
    auto_failed: z.boolean(),
    comment: z.string().nullable(),
    created_by: z.string(),
    updated_by: z.string(),
    created_at: Timestamp,
    updated_at: Timestamp,
    items: z.array(HumanScore.extend({ criterion_id: z.string() })),
  })
  .openapi('ReviewSummary');

const Evidence = z.array(z.object({ quote: z.string(), start_seconds: z.number() }));

export const ReviewedCriterion = z
  .object({
    criterion_id: z.string(),
    name: z.string(),
    category: z.string(),
    version: z
      .number()
      .int()
      .openapi({ description: 'The criterion version the call was scored with; reviews are judged against it' }),
    max_points: z.number().int(),
    auto_fail: z.boolean(),
    model: orNull(
      z
        .object({
          score: z.number().int(),
          passed: z.boolean(),
          auto_fail_triggered: z.boolean(),
          reasoning: z.string(),
          evidence: Evidence,
        })
        .openapi('ModelVerdict'),
    ),
    human: orNull(HumanScore),
    effective: z
      .object({ score: z.number().int(), passed: z.boolean(), auto_failed: z.boolean() })
      .nullable()
      .openapi({ description: 'The value in force, once the evaluation is released' }),
  })
  .openapi('ReviewedCriterion');

export const Review = z
  .object({
    call_id: z.uuid(),
    evaluation_id: z.uuid(),
    grading_mode: z.enum(GRADING_MODES),
    status: ReviewStatus,
    criteria_set: z.object({ id: z.uuid().nullable(), version: z.number().int().nullable() }),
    scored_at: Timestamp,
    released_at: Timestamp.nullable().openapi({ description: "When the call's agent could first see it" }),
    model: z
      .object({ overall_score: z.number().int(), auto_failed: z.boolean(), model: z.string().nullable() })
      .nullable()
      .openapi({ description: "The model's overall result; null for a manual set" }),
    effective: orNull(EffectiveScore),
    review: orNull(ReviewSummary),
    criteria: z.array(ReviewedCriterion),
  })
  .openapi('Review');

export const CriterionReview = z
  .strictObject({
    criterion_id: z.string().min(1).max(64),
    score: z.number().int().min(0, 'must be at least 0').max(100).optional(),
    passed: z.boolean().optional().openapi({
      description:
        "Omitted: passed at the tenant's passing percentage (qa.passing_score, 70) of the criterion's points",
    }),
    auto_fail: z.boolean().optional().openapi({ description: 'Only for an auto-fail criterion; omitted: false' }),
    comment: Comment.nullish(),
    confirm: z.literal(true).optional().openapi({ description: "Take the model's result as it is" }),
  })
  .superRefine((c, ctx) => {
    if (c.confirm && (c.score !== undefined || c.passed !== undefined || c.auto_fail !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['confirm'],
        message: 'confirm takes the model result: give no score, passed or auto_fail with it',
      });
    if (!c.confirm && c.score === undefined)
      ctx.addIssue({ code: 'custom', path: ['score'], message: 'is required unless confirm is true' });
  })
  .openapi('CriterionReview');

export const SaveReview = z
  .strictObject({
    criteria: z
      .array(CriterionReview)
      .min(1, 'must review at least one criterion')
      .max(50)
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((c, i) => {
          if (seen.has(c.criterion_id))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'criterion_id'],
              message: 'is already named earlier in the list',
            });
          seen.add(c.criterion_id);
        });
      }),
    comment: Comment.nullish().openapi({ description: 'About the call as a whole; omitted: kept' }),
  })
  .openapi('SaveReview', {
    description: 'Criteria left out keep what they have (the model result, or an earlier human score)',
  });

export const QueueQuery = z.object({
  status: z.enum(['waiting', 'reviewed']).default('waiting'),
  team_id: z.uuid('must be a UUID').optional(),
  criteria_set_id: z.uuid('must be a UUID').optional(),
  older_than_hours: OlderThanHours('Scored'),
});

export const QueueEntry = z
  .object({
    call_id: z.uuid(),
    evaluation_id: z.uuid(),
    grading_mode: z.enum(GRADING_MODES),
    criteria_set: z.object({
      id: z.uuid().nullable(),
      version: z.number().int().nullable(),
      name: z.string().nullable(),
    }),
    agent: z.object({ id: z.uuid(), name: z.string().nullable(), team_id: z.uuid().nullable() }).nullable(),
    started_at: Timestamp.nullable(),
    duration_seconds: z.number().int().nullable(),
    scored_at: Timestamp,
    hours_since_scored: z.number().int(),
    model: z
      .object({ overall_score: z.number().int(), auto_failed: z.boolean() })
      .nullable()
      .openapi({ description: "The model's score (managers see it at once); null for a manual set" }),
    review: z
      .object({
        overall_score: z.number().int(),
        auto_failed: z.boolean(),
        reviewed_by: z.string(),
        reviewed_at: Timestamp,
      })
      .nullable(),
  })
  .openapi('ReviewQueueEntry');
