import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as service from '../../services/tenants';
import {
  bearer,
  jsonBody,
  jsonResponse,
  pageOf,
  paginated,
  PaginationQuery,
  problemResponses,
  TenantIdSchema,
} from '../shared/schemas';
import { CreatedTenant, CreateTenant, ListTenantsQuery, Tenant, TenantUsage, UpdateTenant } from './schema';

const tags = ['Tenants'];
const TenantParams = z.object({ tenant_id: TenantIdSchema.openapi({ param: { name: 'tenant_id', in: 'path' } }) });

export const tenantsRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listTenants',
      tags,
      security: bearer,
      middleware: [requireRole('super_admin')],
      summary: 'List every tenant (super_admin)',
      request: { query: PaginationQuery.extend(ListTenantsQuery.shape) },
      responses: { 200: jsonResponse(paginated(Tenant, 'TenantPage'), 'Tenants'), ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await service.listTenants(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createTenant',
      tags,
      security: bearer,
      middleware: [requireRole('super_admin')],
      summary: 'Create a tenant, its Keycloak realm and its first tenant_admin (super_admin)',
      request: { body: jsonBody(CreateTenant) },
      responses: { 201: jsonResponse(CreatedTenant, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await service.createTenant(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{tenant_id}',
      operationId: 'getTenant',
      tags,
      security: bearer,
      middleware: [requireRole('tenant_admin')],
      summary: 'Get a tenant (tenant_admin of that tenant)',
      request: { params: TenantParams },
      responses: { 200: jsonResponse(Tenant, 'Tenant'), ...problemResponses },
    }),
    async (c) => c.json(await service.getTenant(c.get('ctx'), c.req.valid('param').tenant_id), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/{tenant_id}',
      operationId: 'updateTenant',
      tags,
      security: bearer,
      middleware: [requireRole('tenant_admin')],
      summary: 'Update settings, branding and features (tenant_admin); tier, status and limits (super_admin)',
      request: { params: TenantParams, body: jsonBody(UpdateTenant) },
      responses: { 200: jsonResponse(Tenant, 'Updated'), ...problemResponses },
    }),
    async (c) =>
      c.json(await service.updateTenant(c.get('ctx'), c.req.valid('param').tenant_id, c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{tenant_id}/usage',
      operationId: 'getTenantUsage',
      tags,
      security: bearer,
      middleware: [requireRole('tenant_admin')],
      summary: 'Users, calls, storage and limits of a tenant (tenant_admin)',
      request: { params: TenantParams },
      responses: { 200: jsonResponse(TenantUsage, 'Usage'), ...problemResponses },
    }),
    async (c) => c.json(await service.tenantUsageReport(c.get('ctx'), c.req.valid('param').tenant_id), 200),
  );
