import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as service from '../../services/organizations';
import { bearer, jsonBody, jsonResponse, problemResponses, Uuid } from '../shared/schemas';
import { CreateDepartment, CreateOrganization, CreateTeam, Department, Organization, Team } from './schema';

const tags = ['Organizations'];
const OrgParams = z.object({ org_id: Uuid('org_id') });

export const organizationsRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listOrganizations',
      tags,
      security: bearer,
      summary: 'List the organizations of the tenant',
      responses: { 200: jsonResponse(z.object({ data: z.array(Organization) }), 'Organizations'), ...problemResponses },
    }),
    async (c) => c.json({ data: await service.listOrganizations(c.get('ctx')) }, 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createOrganization',
      tags,
      security: bearer,
      middleware: [requireRole('tenant_admin')],
      summary: 'Create an organization (tenant_admin)',
      request: { body: jsonBody(CreateOrganization) },
      responses: { 201: jsonResponse(Organization, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await service.createOrganization(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{org_id}',
      operationId: 'getOrganization',
      tags,
      security: bearer,
      summary: 'Get an organization',
      request: { params: OrgParams },
      responses: { 200: jsonResponse(Organization, 'Organization'), ...problemResponses },
    }),
    async (c) => c.json(await service.getOrganization(c.get('ctx'), c.req.valid('param').org_id), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{org_id}/departments',
      operationId: 'listDepartments',
      tags,
      security: bearer,
      summary: 'List the departments of an organization',
      request: { params: OrgParams },
      responses: { 200: jsonResponse(z.object({ data: z.array(Department) }), 'Departments'), ...problemResponses },
    }),
    async (c) => c.json({ data: await service.listDepartments(c.get('ctx'), c.req.valid('param').org_id) }, 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/{org_id}/departments',
      operationId: 'createDepartment',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Create a department (manager)',
      request: { params: OrgParams, body: jsonBody(CreateDepartment) },
      responses: { 201: jsonResponse(Department, 'Created'), ...problemResponses },
    }),
    async (c) =>
      c.json(await service.createDepartment(c.get('ctx'), c.req.valid('param').org_id, c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{org_id}/teams',
      operationId: 'listTeams',
      tags,
      security: bearer,
      summary: 'List the teams of an organization',
      request: { params: OrgParams, query: z.object({ department_id: z.uuid('must be a UUID').optional() }) },
      responses: { 200: jsonResponse(z.object({ data: z.array(Team) }), 'Teams'), ...problemResponses },
    }),
    async (c) =>
      c.json({ data: await service.listTeams(c.get('ctx'), c.req.valid('param').org_id, c.req.valid('query')) }, 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/{org_id}/teams',
      operationId: 'createTeam',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Create a team (manager)',
      request: { params: OrgParams, body: jsonBody(CreateTeam) },
      responses: { 201: jsonResponse(Team, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await service.createTeam(c.get('ctx'), c.req.valid('param').org_id, c.req.valid('json')), 201),
  );
