import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as service from '../../services/criteria';
import { bearer, jsonBody, jsonResponse, problemResponses, Uuid } from '../shared/schemas';
import {
  CreateCriteriaSet,
  CreateCriterion,
  Criterion,
  CriterionWithVersions,
  CriteriaSet,
  Template,
  UpdateCriteriaSet,
  UpdateCriterion,
} from './schema';

const tags = ['Evaluation criteria'];
const Params = z.object({ criterion_id: Uuid('criterion_id') });
const SetParams = z.object({ set_id: Uuid('set_id') });

// Static paths (/templates, /sets) are registered before /{criterion_id} so they win the match.
export const criteriaRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/templates',
      operationId: 'listCriteriaTemplates',
      tags,
      security: bearer,
      summary: 'The system default criteria',
      responses: { 200: jsonResponse(z.object({ data: z.array(Template) }), 'Templates'), ...problemResponses },
    }),
    (c) => c.json({ data: service.listTemplates() }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/sets',
      operationId: 'listCriteriaSets',
      tags,
      security: bearer,
      summary: 'Criteria sets',
      responses: { 200: jsonResponse(z.object({ data: z.array(CriteriaSet) }), 'Sets'), ...problemResponses },
    }),
    async (c) => c.json({ data: await service.listSets(c.get('ctx')) }, 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/sets',
      operationId: 'createCriteriaSet',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Create a criteria set; is_default replaces the previous default (manager)',
      request: { body: jsonBody(CreateCriteriaSet) },
      responses: { 201: jsonResponse(CriteriaSet, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await service.createSet(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/sets/{set_id}',
      operationId: 'updateCriteriaSet',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary:
        'Rename a set or replace its criteria or compliance templates (a new version), or change its grading mode (manager)',
      request: { params: SetParams, body: jsonBody(UpdateCriteriaSet) },
      responses: { 200: jsonResponse(CriteriaSet, 'Updated'), ...problemResponses },
    }),
    async (c) => c.json(await service.updateSet(c.get('ctx'), c.req.valid('param').set_id, c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listCriteria',
      tags,
      security: bearer,
      summary: "The tenant's criteria",
      request: { query: z.object({ active_only: z.enum(['true', 'false']).optional() }) },
      responses: { 200: jsonResponse(z.object({ data: z.array(Criterion) }), 'Criteria'), ...problemResponses },
    }),
    async (c) =>
      c.json({ data: await service.listCriteria(c.get('ctx'), c.req.valid('query').active_only === 'true') }, 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createCriterion',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Create a custom criterion, or one from a template (manager)',
      request: { body: jsonBody(CreateCriterion) },
      responses: { 201: jsonResponse(Criterion, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await service.createCriterion(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{criterion_id}',
      operationId: 'getCriterion',
      tags,
      security: bearer,
      summary: 'A criterion with its version history',
      request: { params: Params },
      responses: { 200: jsonResponse(CriterionWithVersions, 'Criterion'), ...problemResponses },
    }),
    async (c) => c.json(await service.getCriterion(c.get('ctx'), c.req.valid('param').criterion_id), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/{criterion_id}',
      operationId: 'updateCriterion',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Update a criterion; content changes create a new version (manager)',
      request: { params: Params, body: jsonBody(UpdateCriterion) },
      responses: { 200: jsonResponse(Criterion, 'Updated'), ...problemResponses },
    }),
    async (c) =>
      c.json(await service.updateCriterion(c.get('ctx'), c.req.valid('param').criterion_id, c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{criterion_id}',
      operationId: 'deleteCriterion',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Delete a custom criterion; one used by past evaluations is deactivated instead (manager)',
      request: { params: Params },
      responses: {
        200: jsonResponse(z.object({ deleted: z.boolean(), deactivated: z.boolean() }), 'Outcome'),
        ...problemResponses,
      },
    }),
    async (c) => c.json(await service.deleteCriterion(c.get('ctx'), c.req.valid('param').criterion_id), 200),
  );
