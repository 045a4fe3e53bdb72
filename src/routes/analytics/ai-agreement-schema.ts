import { z } from '@hono/zod-openapi';
import { MAX_RANGE_DAYS } from '../../services/analytics';
import { AGREEMENT_GROUPS, DEFAULT_AGREEMENT_DAYS } from '../../services/trust/ai-agreement';
import { MIN_PAIRS } from '../../services/trust/agreement-stats';
import { AgreementFigures, GraderAlpha } from '../shared/agreement';

const Day = (name: string, what: string) =>
  z.iso
    .date({ message: 'must be a date, YYYY-MM-DD' })
    .optional()
    .openapi({
      param: { name, in: 'query' },
      description: `${what} (inclusive), a day of the tenant's time zone on which the AI scored; give both ends or neither; at most ${MAX_RANGE_DAYS} days`,
      example: '2026-11-01',
    });

export const AiAgreementQuery = z.object({
  from_date: Day('from_date', 'First day'),
  to_date: Day('to_date', 'Last day'),
  group_by: z.enum(AGREEMENT_GROUPS, { message: "must be 'criterion' or 'week'" }).optional().openapi({
    description: 'criterion (default): each criterion with its weekly series; week: each week with its criteria',
  }),
  criterion_id: z
    .string()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .optional()
    .openapi({ description: 'Only this criterion (its id, or a platform template key)' }),
});

const Week = z.string().openapi({ description: 'The Monday the week starts on', example: '2026-11-02' });

const CriterionFigures = {
  criterion_id: z.string(),
  name: z.string().openapi({ description: 'The name it was last scored under' }),
  max_points: z.number().int().openapi({ description: 'A criterion whose max points changed appears once per scale' }),
};

export const AiAgreement = z
  .object({
    from_date: z.string(),
    to_date: z.string(),
    group_by: z.enum(AGREEMENT_GROUPS),
    criterion_id: z.string().nullable(),
    min_pairs: z
      .number()
      .int()
      .openapi({ description: `Kappas are withheld below this many pairs (${MIN_PAIRS})` }),
    sources: z.array(z.string()).openapi({ description: 'Where the human side of the pairs comes from' }),
    criteria: z.array(
      AgreementFigures.extend({
        ...CriterionFigures,
        sources: z.array(z.object({ source: z.string(), n: z.number().int() })),
        human_agreement: GraderAlpha.openapi({
          description:
            "Krippendorff's alpha between the human graders of the same calls: how far humans agree with each other",
        }),
        weeks: z
          .array(AgreementFigures.extend({ week: Week }).openapi('AiAgreementWeek'))
          .openapi({ description: 'With group_by=criterion: the weeks that have pairs, oldest first (else empty)' }),
      }).openapi('AiAgreementCriterion'),
    ),
    weeks: z
      .array(
        z
          .object({
            week: Week,
            pass_fail: AgreementFigures.shape.pass_fail.openapi({
              description: 'Pass/fail pooled over the criteria (points are not: each criterion has its own scale)',
            }),
            criteria: z.array(AgreementFigures.extend(CriterionFigures).openapi('AiAgreementWeekCriterion')),
          })
          .openapi('AiAgreementWeekGroup'),
      )
      .openapi({ description: 'With group_by=week: the weeks that have pairs, oldest first (else empty)' }),
  })
  .openapi('AiAgreement', {
    description: `Pairs of AI and human results (calibration consensus, reviews and resolved disputes) of the AI's scorings in the range (default: ${DEFAULT_AGREEMENT_DAYS} days up to today).`,
  });
