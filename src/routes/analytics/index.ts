import { createRoute } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as analytics from '../../services/analytics';
import { aiAgreement } from '../../services/trust/ai-agreement';
import { bearer, jsonResponse, problemResponses } from '../shared/schemas';
import {
  AgentPerformance,
  DEFAULT_RANGE_DAYS,
  PerformanceQuery,
  Summary,
  SummaryQuery,
  Trends,
  TrendsQuery,
} from './schema';
import { AiAgreement, AiAgreementQuery } from './ai-agreement-schema';

const tags = ['Analytics'];
const fromRollups =
  'Read from the daily rollups (tenant × day × agent × criterion) written with each evaluation, so the cost grows with days × agents, not calls. A call counts on the day it started (else arrived) in its agent’s organization’s time zone, else the tenant’s.';

export const analyticsRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/summary',
      operationId: 'getAnalyticsSummary',
      tags,
      security: bearer,
      summary:
        'Calls, scores, pass, auto-fail and compliance rates, sentiment and the weakest criteria, beside the previous period (an agent: its own)',
      description: `${fromRollups} Without a range: the last ${DEFAULT_RANGE_DAYS} days up to the tenant's today.`,
      request: { query: SummaryQuery },
      responses: { 200: jsonResponse(Summary, 'Summary'), ...problemResponses },
    }),
    async (c) => c.json(await analytics.summary(c.get('ctx'), c.req.valid('query')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/trends',
      operationId: 'getAnalyticsTrends',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary:
        'A metric per day, week or month, every bucket present, optionally per agent, team or department (manager)',
      description: `${fromRollups} Without a range: 30 days, 12 weeks or 12 months up to today.`,
      request: { query: TrendsQuery },
      responses: { 200: jsonResponse(Trends, 'Trends'), ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await analytics.trends(c.get('ctx'), { ...q, metric: q.metric as analytics.TrendMetric }), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/agent-performance',
      operationId: 'getAnalyticsAgentPerformance',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary:
        'Per agent: calls, average, pass rate, per-criterion %, rank in team and tenant, change against the previous period (manager)',
      description: fromRollups,
      request: { query: PerformanceQuery },
      responses: { 200: jsonResponse(AgentPerformance, 'Agent performance'), ...problemResponses },
    }),
    async (c) => c.json(await analytics.agentPerformance(c.get('ctx'), c.req.valid('query')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/ai-agreement',
      operationId: 'getAnalyticsAiAgreement',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary:
        "The AI's agreement with humans per criterion and week: n, exact agreement, mean difference, Cohen's and quadratic kappa, humans' alpha (manager)",
      description:
        'Counted in SQL per criterion, scale and week; the statistics run over the counts. Kappas are null with a reason below 30 pairs or without variation.',
      request: { query: AiAgreementQuery },
      responses: { 200: jsonResponse(AiAgreement, 'Agreement'), ...problemResponses },
    }),
    async (c) => c.json(await aiAgreement(c.get('ctx'), c.req.valid('query')), 200),
  );
