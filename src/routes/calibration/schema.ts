import { z } from '@hono/zod-openapi';
import { CALIBRATION_STATUSES } from '../../db/schema';
import { MAX_GRADERS, MAX_SESSION_CALLS, MIN_GRADERS } from '../../services/trust/calibration';
import { AgreementFigures, GraderAlpha } from '../shared/agreement';
import { orNull, Timestamp } from '../shared/schemas';

const uuidList = (what: string, min: number, max: number) =>
  z
    .array(z.uuid({ message: 'must be a UUID' }))
    .min(min, `must name at least ${min}`)
    .max(max, `must name at most ${max}`)
    .superRefine((ids, ctx) => {
      const seen = new Set<string>();
      ids.forEach((id, i) => {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i], message: 'is named twice' });
        seen.add(id);
      });
    })
    .openapi({ description: what });

export const CreateCalibrationSession = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    description: z.string().max(2000, 'must be at most 2000 characters').nullable().optional(),
    call_ids: uuidList(
      "Scored calls of the tenant; each call's current evaluation (and the criteria version it was scored with) is what the session calibrates",
      1,
      MAX_SESSION_CALLS,
    ),
    grader_ids: uuidList('Active managers or tenant admins of the tenant', MIN_GRADERS, MAX_GRADERS),
  })
  .openapi('CreateCalibrationSession');

export const ListCalibrationSessionsQuery = z.object({
  status: z.enum(CALIBRATION_STATUSES, { message: "must be 'open' or 'closed'" }).optional(),
});

const ScoreInput = z.strictObject({
  criterion_id: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  score: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be at least 0')
    .max(100, 'must be at most 100')
    .openapi({ description: "0..max_points of the criterion in the evaluation's criteria snapshot" }),
  passed: z.boolean(),
  comment: z.string().max(2000, 'must be at most 2000 characters').nullable().optional(),
});

export const PutCalibrationScores = z
  .strictObject({
    scores: z
      .array(ScoreInput)
      .min(1, 'must hold at least one score')
      .max(100, 'must hold at most 100 scores')
      .superRefine((scores, ctx) => {
        const seen = new Set<string>();
        scores.forEach((s, i) => {
          if (seen.has(s.criterion_id))
            ctx.addIssue({ code: 'custom', path: [i, 'criterion_id'], message: 'is scored twice' });
          seen.add(s.criterion_id);
        });
      }),
  })
  .openapi('PutCalibrationScores');

const Status = z.enum(CALIBRATION_STATUSES);

export const CalibrationSession = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: orNull(z.string()),
    status: Status,
    created_by: z.string(),
    created_at: Timestamp,
    updated_at: Timestamp,
    closed_by: orNull(z.string()),
    closed_at: orNull(Timestamp),
    call_count: z.number().int(),
    grader_count: z.number().int(),
    scores_given: z
      .number()
      .int()
      .openapi({ description: '(call, criterion) scores given so far, all graders together (no values)' }),
  })
  .openapi('CalibrationSession');

const Grader = z
  .object({
    grader_id: z.uuid(),
    email: z.string(),
    first_name: orNull(z.string()),
    last_name: orNull(z.string()),
    role: z.string(),
    scored: z.number().int().openapi({ description: '(call, criterion) scores this grader has given' }),
    expected: z.number().int().openapi({ description: '(call, criterion) pairs the session holds' }),
  })
  .openapi('CalibrationGrader');

const OwnScore = z
  .object({
    criterion_id: z.string(),
    score: z.number().int(),
    passed: z.boolean(),
    comment: orNull(z.string()),
    updated_at: Timestamp,
  })
  .openapi('CalibrationOwnScore');

const CriterionToScore = z
  .object({
    criterion_id: z.string(),
    name: z.string(),
    description: orNull(z.string()),
    category: orNull(z.string()),
    max_points: z.number().int(),
    auto_fail: z.boolean(),
  })
  .openapi('CalibrationCriterion', { description: 'A criterion as the call was scored with it (no result)' });

export const CalibrationSessionDetail = CalibrationSession.extend({
  is_grader: z.boolean(),
  graders: z.array(Grader),
  calls: z.array(
    z
      .object({
        call_id: z.uuid(),
        evaluation_id: z.uuid(),
        agent_id: orNull(z.uuid()),
        started_at: orNull(Timestamp),
        scored_at: Timestamp,
        criteria: z.array(CriterionToScore),
        my_scores: z.array(OwnScore).openapi({ description: "The caller's own scores; never anyone else's" }),
      })
      .openapi('CalibrationSessionCall'),
  ),
}).openapi('CalibrationSessionDetail', {
  description:
    "A session as the caller may see it: no AI result and no other grader's score, open or closed (results: GET …/results once closed)",
});

export const CalibrationScores = z
  .object({ session_id: z.uuid(), call_id: z.uuid(), scores: z.array(OwnScore) })
  .openapi('CalibrationScores');

export const CalibrationResults = z
  .object({
    session: CalibrationSession,
    graders: z.array(Grader),
    criteria: z.array(
      z
        .object({
          criterion_id: z.string(),
          name: z.string(),
          max_points: z.number().int(),
          calls: z.number().int(),
          calls_scored: z.number().int(),
          mean_range: z.number().nullable().openapi({ description: 'Mean over calls of max − min grader score' }),
          mean_sd: z.number().nullable().openapi({ description: 'Mean over calls of the population SD of scores' }),
          alpha: GraderAlpha,
          graders: z.array(
            z.object({
              grader_id: z.uuid(),
              n: z.number().int(),
              mean_deviation: z
                .number()
                .nullable()
                .openapi({ description: 'Score − consensus, mean: negative for a stricter grader' }),
              mean_absolute_deviation: z.number().nullable(),
            }),
          ),
          ai: AgreementFigures,
        })
        .openapi('CalibrationCriterionResult'),
    ),
    calls: z.array(
      z
        .object({
          call_id: z.uuid(),
          evaluation_id: z.uuid(),
          criteria: z.array(
            z.object({
              criterion_id: z.string(),
              name: z.string(),
              max_points: z.number().int(),
              ai: z.object({ score: z.number().int(), passed: z.boolean() }),
              consensus: z.object({
                score: z.number().nullable().openapi({ description: 'Median of the graders (may be a half point)' }),
                passed: z
                  .boolean()
                  .nullable()
                  .openapi({ description: 'More than half passed it; null on a tie or without scores' }),
              }),
              spread: z.object({ range: z.number().int().nullable(), sd: z.number().nullable() }),
              graders: z.array(
                z.object({
                  grader_id: z.uuid(),
                  score: z.number().int(),
                  passed: z.boolean(),
                  comment: orNull(z.string()),
                  deviation: z.number().nullable().openapi({ description: 'Score − consensus' }),
                }),
              ),
            }),
          ),
        })
        .openapi('CalibrationCallResult'),
    ),
  })
  .openapi('CalibrationResults');
