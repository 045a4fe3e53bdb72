import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as service from '../../services/compliance-templates';
import { bearer, jsonBody, jsonResponse, problemResponses } from '../shared/schemas';
import {
  ComplianceTemplate,
  ComplianceTemplateWithVersions,
  CreateComplianceTemplate,
  TemplateParams,
  UpdateComplianceTemplate,
} from './compliance-templates-schema';

const tags = ['Compliance templates'];
const readers = [requireRole('manager')];
const writers = [requireRole('tenant_admin')];

export const complianceTemplatesRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listComplianceTemplates',
      tags,
      security: bearer,
      middleware: readers,
      summary: "The platform's read-only system templates, then the tenant's own (manager)",
      responses: {
        200: jsonResponse(z.object({ data: z.array(ComplianceTemplate) }), 'Templates'),
        ...problemResponses,
      },
    }),
    async (c) => c.json({ data: await service.listComplianceTemplates(c.get('ctx')) }, 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createComplianceTemplate',
      tags,
      security: bearer,
      middleware: writers,
      summary: 'Create a template, or copy a system one with `from_system` (tenant_admin)',
      request: { body: jsonBody(CreateComplianceTemplate) },
      responses: { 201: jsonResponse(ComplianceTemplate, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await service.createComplianceTemplate(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{template_id}',
      operationId: 'getComplianceTemplate',
      tags,
      security: bearer,
      middleware: readers,
      summary: 'A template with its version history; system templates by key (manager)',
      request: { params: TemplateParams },
      responses: { 200: jsonResponse(ComplianceTemplateWithVersions, 'Template'), ...problemResponses },
    }),
    async (c) => c.json(await service.getComplianceTemplate(c.get('ctx'), c.req.valid('param').template_id), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/{template_id}',
      operationId: 'updateComplianceTemplate',
      tags,
      security: bearer,
      middleware: writers,
      summary: 'Update a template; content changes create a new version; system templates are 403 (tenant_admin)',
      request: { params: TemplateParams, body: jsonBody(UpdateComplianceTemplate) },
      responses: { 200: jsonResponse(ComplianceTemplate, 'Updated'), ...problemResponses },
    }),
    async (c) =>
      c.json(
        await service.updateComplianceTemplate(c.get('ctx'), c.req.valid('param').template_id, c.req.valid('json')),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{template_id}',
      operationId: 'deleteComplianceTemplate',
      tags,
      security: bearer,
      middleware: writers,
      summary: 'Delete a template; 409 while a criteria set attaches it; system templates are 403 (tenant_admin)',
      request: { params: TemplateParams },
      responses: { 204: { description: 'Deleted' }, ...problemResponses },
    }),
    async (c) => {
      await service.deleteComplianceTemplate(c.get('ctx'), c.req.valid('param').template_id);
      return c.body(null, 204);
    },
  );
