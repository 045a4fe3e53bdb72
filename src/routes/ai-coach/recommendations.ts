import { createRoute, z } from '@hono/zod-openapi';
import { COURSE_DIFFICULTIES } from '../../db/schema';
import {
  GAP_CONSECUTIVE_FAILS,
  GAP_MARGIN_PCT,
  GAP_THRESHOLD_PCT,
  MAX_RECOMMENDED_COURSES,
} from '../../db/statements/skill-gaps';
import { createRouter } from '../../lib/create-app';
import {
  DEFAULT_WINDOW_DAYS,
  MAX_IMPROVEMENT_AREAS,
  MIN_EVIDENCE_QUOTES,
  recommendationsFor,
} from '../../services/ai-coach/recommendations';
import { bearer, jsonResponse, problemResponses, Timestamp, Uuid } from '../shared/schemas';

const tags = ['AI coach'];
const Pct = (what: string) =>
  z
    .number()
    .nullable()
    .openapi({ description: `${what}, % of max points, one decimal` });

const GapReason = z.enum(['consecutive_fails', 'below_threshold', 'below_tenant']).openapi({
  description: `consecutive_fails: the last ${GAP_CONSECUTIVE_FAILS}+ results failed in a row; below_threshold: under ${GAP_THRESHOLD_PCT}%; below_tenant: more than ${GAP_MARGIN_PCT} points under the tenant`,
});

const Evidence = z
  .object({
    quote: z.string().openapi({ description: 'Copied from the transcript of one of the agent’s own calls' }),
    start_seconds: z.number().nullable().openapi({ description: 'Where in the call it was said' }),
    call_id: z.uuid(),
    evaluation_id: z.uuid(),
    scored_at: Timestamp,
  })
  .openapi('CoachEvidenceQuote');

const SkillGap = z
  .object({
    criterion_id: z.string().openapi({ description: 'The criterion’s id, or a platform template key' }),
    name: z.string(),
    category: z.string(),
    agent_pct: z.number().openapi({ description: 'The agent’s score over the window, % of max points, one decimal' }),
    team_pct: Pct('The agent’s team (agent included); null without a team, or when an agent reads itself'),
    tenant_pct: Pct('Every agent of the tenant (agent included); null when an agent reads itself'),
    evaluations: z.number().int().openapi({ description: 'Current results of the criterion in the window' }),
    fails: z.number().int(),
    consecutive_fails: z.number().int().openapi({ description: 'Failed results in a row, counted from the newest' }),
    first_half_pct: Pct('The older half of the window (null if it has no results)'),
    second_half_pct: Pct('The newer half of the window (null if it has no results)'),
    trend_delta: z
      .number()
      .nullable()
      .openapi({ description: 'second_half_pct − first_half_pct, points; positive is improving' }),
    last_scored_at: Timestamp,
    is_gap: z.boolean(),
    gap_reasons: z.array(GapReason),
    evidence: z.array(Evidence).openapi({ description: 'Up to 3 quotes from the agent’s most recent failed results' }),
  })
  .openapi('CoachSkillGap');

const RecommendedCourse = z
  .object({
    id: z.uuid(),
    title: z.string(),
    category: z.string(),
    difficulty: z.enum(COURSE_DIFFICULTIES),
    covers: z.array(z.string()).openapi({ description: 'The gap criterion ids its skills_covered train' }),
    assigned: z.boolean().openapi({ description: 'The agent already has an open assignment of it' }),
  })
  .openapi('CoachRecommendedCourse');

const ImprovementArea = z
  .object({
    criterion_id: z.string(),
    name: z.string(),
    category: z.string(),
    agent_pct: z.number(),
    team_pct: z.number().nullable(),
    tenant_pct: z.number().nullable(),
    consecutive_fails: z.number().int(),
    gap_reasons: z.array(GapReason),
    evidence: z
      .array(Evidence)
      .openapi({ description: `${MIN_EVIDENCE_QUOTES} to 3 quotes from the agent’s own calls` }),
  })
  .openapi('CoachImprovementArea');

const Recommendations = z
  .object({
    agent_id: z.uuid(),
    window_days: z.number().int(),
    skill_gaps: z.array(SkillGap).openapi({
      description: 'Every criterion the agent has results for in the window, gaps first, lowest percentage first',
    }),
    recommended_courses: z.array(RecommendedCourse).openapi({
      description: `Published courses whose skills_covered name a gap’s criterion id or category, minus those the agent completed; most gaps covered first, at most ${MAX_RECOMMENDED_COURSES}`,
    }),
    improvement_areas: z.array(ImprovementArea).openapi({
      description: `The first gaps with at least ${MIN_EVIDENCE_QUOTES} evidence quotes, at most ${MAX_IMPROVEMENT_AREAS}`,
    }),
  })
  .openapi('CoachRecommendations');

const Query = z.object({
  window_days: z.coerce
    .number()
    .int('must be a whole number of days')
    .min(7, 'must be at least 7')
    .max(365, 'must be at most 365')
    .default(DEFAULT_WINDOW_DAYS)
    .openapi({ description: 'Days back from now the figures cover', example: DEFAULT_WINDOW_DAYS }),
});

export const recommendationsRouter = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/recommendations/{agent_id}',
    operationId: 'getCoachRecommendations',
    tags,
    security: bearer,
    summary: 'An agent’s skill gaps, the courses that train them and where to start (manager; an agent: itself)',
    description: `Computed from the agent's current criterion results over the window. A criterion is a gap when the last ${GAP_CONSECUTIVE_FAILS} or more results failed in a row, the agent scores below ${GAP_THRESHOLD_PCT}% of max points, or more than ${GAP_MARGIN_PCT} points below the tenant. An agent may read only its own id; any other id, a user who is not an agent and an unknown id all answer 404.`,
    request: { params: z.object({ agent_id: Uuid('agent_id') }), query: Query },
    responses: { 200: jsonResponse(Recommendations, 'Recommendations'), ...problemResponses },
  }),
  async (c) =>
    c.json(
      await recommendationsFor(c.get('ctx'), c.req.valid('param').agent_id, c.req.valid('query').window_days),
      200,
    ),
);
