import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as rules from '../../services/ai-coach/rules';
import {
  bearer,
  jsonBody,
  jsonResponse,
  pageOf,
  paginated,
  PaginationQuery,
  problemResponses,
  Uuid,
} from '../shared/schemas';
import { CoachRule, CreateCoachRule, ListCoachRulesQuery, UpdateCoachRule } from './rules-schema';

const tags = ['AI coach'];
const RuleParams = z.object({ rule_id: Uuid('rule_id') });
const managers = [requireRole('manager')];

/** Coaching rules, managers and up only: agents neither see nor change what assigns them training. */
export const coachRulesRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listCoachRules',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Coaching rules of the tenant, newest first (manager)',
      request: { query: PaginationQuery.extend(ListCoachRulesQuery.shape) },
      responses: { 200: jsonResponse(paginated(CoachRule, 'CoachRulePage'), 'Rules'), ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await rules.listRules(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createCoachRule',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Create a coaching rule: a criterion, a condition, a course to assign or generate (manager)',
      request: { body: jsonBody(CreateCoachRule) },
      responses: { 201: jsonResponse(CoachRule, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await rules.createRule(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{rule_id}',
      operationId: 'getCoachRule',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'A coaching rule (manager)',
      request: { params: RuleParams },
      responses: { 200: jsonResponse(CoachRule, 'Rule'), ...problemResponses },
    }),
    async (c) => c.json(await rules.getRule(c.get('ctx'), c.req.valid('param').rule_id), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/{rule_id}',
      operationId: 'updateCoachRule',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Change a coaching rule; `condition` and `action` are replaced whole (manager)',
      request: { params: RuleParams, body: jsonBody(UpdateCoachRule) },
      responses: { 200: jsonResponse(CoachRule, 'Updated'), ...problemResponses },
    }),
    async (c) => c.json(await rules.updateRule(c.get('ctx'), c.req.valid('param').rule_id, c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{rule_id}',
      operationId: 'deleteCoachRule',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Delete a coaching rule and its firings; the assignments it made stay (manager)',
      request: { params: RuleParams },
      responses: { 204: { description: 'Deleted' }, ...problemResponses },
    }),
    async (c) => {
      await rules.deleteRule(c.get('ctx'), c.req.valid('param').rule_id);
      return c.body(null, 204);
    },
  );
