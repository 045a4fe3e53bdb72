import { createRoute, z } from '@hono/zod-openapi';
import { problemResponses, TenantIdSchema } from '../shared/schemas';

/**
 * The live socket, as the document describes it. Browsers cannot send a bearer token on a
 * WebSocket upgrade, so it is `security: []` and authorised by the one-time ticket from
 * `createSocketTicket` instead; the upgrade is handed to the tenant's hub, so the route is a plain
 * Hono one and this definition is registered for the document only.
 */
export const commandCenterSocketRoute = createRoute({
  method: 'get',
  path: '/api/command-center/ws',
  operationId: 'openCommandCenterSocket',
  tags: ['Command center'],
  security: [],
  summary: 'Open the live WebSocket with a one-time ticket (Upgrade: websocket)',
  description:
    'Events are JSON messages with a `seq`; after a reconnect, `resume_from=<seq>` replays what was missed. ' +
    'The Origin must be one of the allowed origins.',
  request: {
    query: z.object({
      tenant: TenantIdSchema,
      ticket: z.string().openapi({ description: 'From POST /api/command-center/tickets; valid 30 s, once' }),
      resume_from: z
        .string()
        .regex(/^\d{1,15}$/)
        .optional()
        .openapi({ description: 'Last `seq` received' }),
    }),
    headers: z.object({ upgrade: z.literal('websocket') }),
  },
  responses: {
    101: { description: 'Switching protocols: the live event stream' },
    426: { description: 'Not a WebSocket upgrade', content: { 'text/plain': { schema: z.string() } } },
    ...problemResponses,
  },
});
