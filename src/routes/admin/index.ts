import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as service from '../../services/admin';
import {
  bearer,
  jsonBody,
  jsonResponse,
  pageOf,
  paginated,
  PaginationQuery,
  problemResponses,
} from '../shared/schemas';
import { complianceTemplatesRouter } from './compliance-templates';
import { AuditLog, AuditQuery, FeatureFlag, PutFeatureFlag, PutSettings, SettingsCategory } from './schema';

const tags = ['Administration'];
const adminOnly = [requireRole('tenant_admin')];

export const adminRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/feature-flags',
      operationId: 'listFeatureFlags',
      tags,
      security: bearer,
      middleware: adminOnly,
      summary: 'List feature flags (tenant_admin)',
      responses: { 200: jsonResponse(z.object({ data: z.array(FeatureFlag) }), 'Flags'), ...problemResponses },
    }),
    async (c) => c.json({ data: await service.listFeatureFlags(c.get('ctx')) }, 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/feature-flags',
      operationId: 'putFeatureFlag',
      tags,
      security: bearer,
      middleware: adminOnly,
      summary: 'Create or update a feature flag (tenant_admin)',
      request: { body: jsonBody(PutFeatureFlag) },
      responses: { 200: jsonResponse(FeatureFlag, 'Saved'), ...problemResponses },
    }),
    async (c) => c.json(await service.putFeatureFlag(c.get('ctx'), c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/settings',
      operationId: 'getSettings',
      tags,
      security: bearer,
      middleware: adminOnly,
      summary: 'Tenant settings by category (tenant_admin)',
      request: { query: z.object({ category: z.string().max(64).optional() }) },
      responses: { 200: jsonResponse(z.object({ data: z.array(SettingsCategory) }), 'Settings'), ...problemResponses },
    }),
    async (c) => c.json({ data: await service.getSettings(c.get('ctx'), c.req.valid('query').category) }, 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/settings',
      operationId: 'putSettings',
      tags,
      security: bearer,
      middleware: adminOnly,
      summary: 'Merge settings into a category; null removes a key (tenant_admin)',
      request: { body: jsonBody(PutSettings) },
      responses: { 200: jsonResponse(SettingsCategory, 'Saved'), ...problemResponses },
    }),
    async (c) => c.json(await service.putSettings(c.get('ctx'), c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/audit-logs',
      operationId: 'listAuditLogs',
      tags,
      security: bearer,
      middleware: adminOnly,
      summary: "The tenant's audit trail, newest first (tenant_admin)",
      request: { query: PaginationQuery.extend(AuditQuery.shape) },
      responses: { 200: jsonResponse(paginated(AuditLog, 'AuditLogPage'), 'Audit logs'), ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await service.listAuditLogs(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  )
  .route('/compliance-templates', complianceTemplatesRouter);
