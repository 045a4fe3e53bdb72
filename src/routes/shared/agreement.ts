import { z } from '@hono/zod-openapi';

/** The agreement figures as calibration results and the AI agreement report show them. */
export const AgreementStatistic = z
  .object({
    value: z.number().nullable().openapi({ description: 'Three decimals; null when withheld' }),
    reason: z
      .string()
      .nullable()
      .openapi({ description: 'Why the value is withheld (too few pairs, no variation); null with a value' }),
  })
  .openapi('AgreementStatistic');

const Rate = z.number().nullable().openapi({ description: '0..1, three decimals; null without pairs' });

export const AgreementFigures = z
  .object({
    n: z.number().int(),
    pass_fail: z.object({
      n: z.number().int().openapi({ description: 'Pairs with a human verdict (a tied consensus has none)' }),
      exact_agreement: Rate,
      ai_pass_rate: Rate,
      human_pass_rate: Rate,
      kappa: AgreementStatistic,
      note: z
        .string()
        .nullable()
        .openapi({ description: 'Set when a pass rate is so skewed that kappa understates agreement' }),
    }),
    points: z.object({
      n: z.number().int(),
      exact_agreement: Rate,
      mean_absolute_difference: z.number().nullable().openapi({ description: '|AI − human| in points, mean' }),
      mean_difference: z
        .number()
        .nullable()
        .openapi({ description: 'AI − human in points, mean: positive when the AI is more generous' }),
      weighted_kappa: AgreementStatistic,
    }),
  })
  .openapi('AgreementFigures', {
    description: 'The AI against human scores: n, exact agreement, mean difference, Cohen’s and quadratic kappa',
  });

export const GraderAlpha = z
  .object({
    units: z.number().int().openapi({ description: 'Calls scored by at least two graders' }),
    raters: z.number().int(),
    pairable_ratings: z.number(),
    nominal: AgreementStatistic,
    ordinal: AgreementStatistic,
    interval: AgreementStatistic,
  })
  .openapi('GraderAlpha', {
    description: "Krippendorff's alpha between the graders; ≥ 0.80 reliable, ≥ 0.667 tentative",
  });
