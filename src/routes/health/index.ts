import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../lib/create-app';
import { jsonResponse } from '../shared/schemas';

/** Liveness only: no database or identity provider call, so load balancers cannot amplify load. */
export const healthRouter = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    tags: ['Health'],
    security: [],
    summary: 'Liveness check',
    responses: {
      200: jsonResponse(z.object({ status: z.literal('ok'), environment: z.string() }), 'The Worker is up'),
    },
  }),
  (c) => c.json({ status: 'ok' as const, environment: c.get('config').environment }, 200),
);
