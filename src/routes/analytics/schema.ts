import { z } from '@hono/zod-openapi';
import {
  DEFAULT_RANGE_DAYS,
  MAX_RANGE_DAYS,
  PERFORMANCE_PERIODS,
  TREND_GROUPS,
  TREND_METRICS,
  TREND_PERIODS,
} from '../../services/analytics';

const Day = (name: string, what: string) =>
  z.iso
    .date({ message: 'must be a date, YYYY-MM-DD' })
    .optional()
    .openapi({
      param: { name, in: 'query' },
      description: `${what} (inclusive), a day of the tenant's time zone; give both ends or neither; at most ${MAX_RANGE_DAYS} days`,
      example: '2026-11-01',
    });

const Range = {
  from_date: Day('from_date', 'First day'),
  to_date: Day('to_date', 'Last day'),
};

const OptionalUuid = (what: string) => z.uuid({ message: 'must be a UUID' }).optional().openapi({ description: what });

export const SummaryQuery = z.object({
  ...Range,
  agent_id: OptionalUuid('Only this agent’s calls (ignored for an agent, who always gets its own)'),
  team_id: OptionalUuid('Only the calls of this team’s agents (their current team)'),
});

const Rate = (what: string) =>
  z
    .number()
    .nullable()
    .openapi({ description: `${what}, 0..1, three decimals; null without scored calls` });

const Figures = z
  .object({
    calls_received: z.number().int().openapi({ description: 'Calls that reached the pipeline (queued or later)' }),
    calls_scored: z.number().int().openapi({ description: 'Calls with a current evaluation (status completed)' }),
    calls_failed: z.number().int(),
    average_score: z
      .number()
      .nullable()
      .openapi({ description: 'Mean overall score of the scored calls, one decimal' }),
    pass_rate: Rate(
      'Scored calls that passed (not auto-failed, overall at least the tenant’s qa.passing_score, else 70)',
    ),
    auto_fail_rate: Rate('Scored calls that auto-failed'),
    compliance_rate: Rate('Scored calls with no compliance item unmet'),
    sentiment: z
      .object({ positive: z.number().int(), neutral: z.number().int(), negative: z.number().int() })
      .openapi({ description: 'Scored calls by overall sentiment' }),
  })
  .openapi('AnalyticsFigures');

const Period = z.object({ from_date: z.string(), to_date: z.string() });

export const Summary = z
  .object({
    from_date: z.string(),
    to_date: z.string(),
    agent_id: z.uuid().nullable(),
    team_id: z.uuid().nullable(),
    previous_period: Period.openapi({ description: 'The same number of days just before from_date' }),
    current: Figures,
    previous: Figures,
    lowest_criteria: z
      .array(
        z.object({
          criterion_id: z.string(),
          name: z.string(),
          pct: z.number().openapi({ description: 'Points earned, % of max points, one decimal' }),
          results: z.number().int(),
          pass_rate: Rate('Results that passed'),
          previous_pct: z.number().nullable(),
          previous_results: z.number().int(),
        }),
      )
      .openapi({ description: 'The five criteria with the lowest % of max points in the range, lowest first' }),
    violations_by_requirement: z
      .array(
        z.object({
          requirement_id: z
            .string()
            .openapi({ description: '`<template id>/<requirement key>`, or the text of a free-form requirement' }),
          requirement: z.string(),
          severity: z.string().nullable(),
          checked: z
            .number()
            .int()
            .openapi({ description: 'Calls judged met or not met (not applicable is not counted)' }),
          violations: z.number().int(),
          violation_rate: Rate('Judged calls that violated it'),
          previous_violations: z.number().int(),
        }),
      )
      .openapi({ description: 'Compliance requirements judged in the range, most violated first (at most 20)' }),
  })
  .openapi('AnalyticsSummary');

export const TrendsQuery = z.object({
  ...Range,
  metric: z
    .string()
    .refine(
      (m) => (TREND_METRICS as readonly string[]).includes(m) || /^criterion:.+$/.test(m),
      `must be one of ${TREND_METRICS.join(', ')} or criterion:<id>`,
    )
    .openapi({
      description: `${TREND_METRICS.join(', ')}, or criterion:<id> (% of max points)`,
      example: 'average_score',
    }),
  period: z.enum(TREND_PERIODS).default('day').openapi({ description: 'Bucket size; weeks start on Monday' }),
  group_by: z.enum(TREND_GROUPS).default('none'),
  agent_id: OptionalUuid('Only this agent'),
  team_id: OptionalUuid('Only this team’s agents'),
});

export const Trends = z
  .object({
    metric: z.string(),
    period: z.enum(TREND_PERIODS),
    group_by: z.enum(TREND_GROUPS),
    from_date: z.string().nullable(),
    to_date: z.string().nullable(),
    series: z.array(
      z.object({
        key: z.string().nullable().openapi({ description: 'The agent, team or department id; null for all, or none' }),
        name: z.string().nullable(),
        points: z.array(
          z.object({
            bucket: z.string().openapi({ description: 'First day of the bucket' }),
            value: z.number().nullable().openapi({ description: 'Null when the bucket has nothing to average' }),
            count: z
              .number()
              .int()
              .openapi({ description: 'Calls (or criterion results) behind the value; 0 when empty' }),
          }),
        ),
      }),
    ),
  })
  .openapi('AnalyticsTrends');

export const PerformanceQuery = z.object({
  ...Range,
  agent_id: OptionalUuid('Only this agent (ranks still among all agents)'),
  period: z
    .enum(Object.keys(PERFORMANCE_PERIODS) as [keyof typeof PERFORMANCE_PERIODS])
    .default('month')
    .openapi({ description: 'The last 7, 30 or 90 days up to today, when no range is given' }),
});

export const AgentPerformance = z
  .object({
    period: z.string(),
    from_date: z.string().nullable(),
    to_date: z.string().nullable(),
    previous_period: Period.nullable(),
    agents: z.array(
      z.object({
        agent_id: z.uuid(),
        name: z.string().nullable(),
        team_id: z.uuid().nullable(),
        calls: z.number().int(),
        calls_scored: z.number().int(),
        average_score: z.number().nullable(),
        pass_rate: Rate('Scored calls that passed'),
        criteria: z.array(
          z.object({
            criterion_id: z.string(),
            name: z.string(),
            pct: z.number().nullable(),
            results: z.number().int(),
          }),
        ),
        team_rank: z
          .number()
          .int()
          .nullable()
          .openapi({ description: 'By average score, 1 is best; null without a team or scored calls' }),
        tenant_rank: z.number().int().nullable(),
        previous: z.object({
          calls: z.number().int(),
          average_score: z.number().nullable(),
          pass_rate: z.number().nullable(),
        }),
        change: z.object({
          calls: z.number().int(),
          average_score: z.number().nullable(),
          pass_rate: z.number().nullable(),
        }),
      }),
    ),
  })
  .openapi('AnalyticsAgentPerformance');

export { DEFAULT_RANGE_DAYS };
