import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as service from '../../services/integrations';
import { bearer, jsonBody, jsonResponse, problemResponses } from '../shared/schemas';

const tags = ['Integrations'];
const adminOnly = [requireRole('tenant_admin')];
const agentMapping = z
  .record(z.string().min(1).max(200), z.uuid('must be a user id'))
  .refine((m) => Object.keys(m).length <= 1000, 'at most 1000 entries');

const Integration = z
  .object({
    provider: z.enum(['twilio', 'generic']),
    enabled: z.boolean(),
    config: z
      .object({
        account_sid: z.string().optional().openapi({ description: 'Twilio only' }),
        media_origins: z.array(z.string()).optional().openapi({ description: 'Generic webhook only' }),
        agent_mapping: z
          .record(z.string(), z.uuid())
          .openapi({ description: "The provider's agent identifiers (keys chosen by the tenant) to agent user ids" }),
        default_agent_id: z.uuid().nullish(),
      })
      .openapi('IntegrationConfig'),
    has_secret: z.boolean(),
    updated_at: z.string(),
  })
  .openapi('Integration');

const PutTwilio = z
  .strictObject({
    account_sid: z.string().regex(/^AC[0-9a-zA-Z]{32}$/, 'must be a Twilio account SID (AC…)'),
    auth_token: z.string().min(16, 'must be the account auth token').max(128),
    agent_mapping: agentMapping.default({}),
    default_agent_id: z.uuid().nullish(),
    enabled: z.boolean().default(true),
  })
  .openapi('PutTwilioIntegration');

const PutGeneric = z
  .strictObject({
    secret: z.string().min(32, 'must be at least 32 characters').max(256),
    media_origins: z
      .array(
        z
          .url()
          .refine(
            (u) => new URL(u).origin === u.replace(/\/$/, ''),
            'must be an origin such as https://media.example.com',
          ),
      )
      .min(1)
      .max(10),
    agent_mapping: agentMapping.default({}),
    default_agent_id: z.uuid().nullish(),
    enabled: z.boolean().default(true),
  })
  .openapi('PutGenericIntegration');

/** Telephony integrations and their secrets (stored encrypted; never returned). tenant_admin. */
export const integrationsRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listIntegrations',
      tags,
      security: bearer,
      middleware: adminOnly,
      summary: 'Configured telephony integrations (tenant_admin)',
      responses: { 200: jsonResponse(z.object({ data: z.array(Integration) }), 'Integrations'), ...problemResponses },
    }),
    async (c) => c.json({ data: await service.listIntegrations(c.get('ctx')) }, 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/twilio',
      operationId: 'putTwilioIntegration',
      tags,
      security: bearer,
      middleware: adminOnly,
      summary:
        'Configure Twilio recording callbacks: account SID, auth token (encrypted at rest), agent mapping (tenant_admin)',
      request: { body: jsonBody(PutTwilio) },
      responses: { 200: jsonResponse(Integration, 'Saved'), ...problemResponses },
    }),
    async (c) => {
      const { auth_token, enabled, ...config } = c.req.valid('json');
      return c.json(await service.putIntegration(c.get('ctx'), 'twilio', { secret: auth_token, enabled, config }), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/generic',
      operationId: 'putGenericIntegration',
      tags,
      security: bearer,
      middleware: adminOnly,
      summary:
        'Configure the signed generic webhook: secret (encrypted at rest), media origins, agent mapping (tenant_admin)',
      request: { body: jsonBody(PutGeneric) },
      responses: { 200: jsonResponse(Integration, 'Saved'), ...problemResponses },
    }),
    async (c) => {
      const { secret, enabled, ...config } = c.req.valid('json');
      return c.json(await service.putIntegration(c.get('ctx'), 'generic', { secret, enabled, config }), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{provider}',
      operationId: 'deleteIntegration',
      tags,
      security: bearer,
      middleware: adminOnly,
      summary: 'Remove an integration (tenant_admin)',
      request: {
        params: z.object({
          provider: z.enum(['twilio', 'generic']).openapi({ param: { name: 'provider', in: 'path' } }),
        }),
      },
      responses: { 204: { description: 'Removed' }, ...problemResponses },
    }),
    async (c) => {
      await service.deleteIntegration(c.get('ctx'), c.req.valid('param').provider);
      return c.body(null, 204);
    },
  );
