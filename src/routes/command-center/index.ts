import { createRoute, z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { ALERT_SEVERITIES, ALERT_STATUSES } from '../../db/schema';
import type { SocketIdentity } from '../../../durable-objects/tenant-hub';
import { requireRole } from '../../auth/middleware';
import type { AppEnv } from '../../context';
import { createRouter } from '../../lib/create-app';
import { Forbidden, Unauthenticated } from '../../lib/errors';
import * as alertsService from '../../services/alerts';
import { hubStub } from '../../service-context';
import * as service from '../../services/command-center';
import { verifyTicket } from '../../services/tickets';
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
import { Alert, Dashboard, LiveAgent, LiveState, Metrics, WIDGET_TYPES } from './schema';

const tags = ['Command center'];
const managers = [requireRole('manager')];
const Filter = z.object({
  team_id: z.uuid('must be a UUID').optional(),
  department_id: z.uuid('must be a UUID').optional(),
});

const CreateAlert = z
  .strictObject({
    type: z.string().trim().min(1).max(64),
    severity: z.enum(ALERT_SEVERITIES),
    entity_type: z.enum(['call', 'agent', 'team', 'queue', 'other']).nullish(),
    entity_id: z.string().max(200).nullish(),
    agent_id: z.uuid().nullish(),
    title: z.string().trim().min(1).max(200),
    description: z.string().trim().max(2000).nullish(),
  })
  .openapi('CreateAlert');
const UpdateAlert = z
  .strictObject({
    status: z.enum(['acknowledged', 'resolved', 'dismissed']),
    resolution_notes: z.string().trim().max(2000).nullish(),
  })
  .openapi('UpdateAlert');

const Widget = z.strictObject({
  type: z.enum(WIDGET_TYPES),
  position: z
    .strictObject({
      x: z.number().int().min(0).max(11),
      y: z.number().int().min(0).max(100),
      w: z.number().int().min(1).max(12),
      h: z.number().int().min(1).max(12),
    })
    .refine((p) => p.x + p.w <= 12, 'must fit the 12-column grid'),
  config: z.record(z.string().max(50), z.unknown()).default({}),
});

export const commandCenterRouter = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/tickets',
      operationId: 'createSocketTicket',
      tags,
      security: bearer,
      summary: 'A one-time ticket (30 s) for the live WebSocket, bound to you, your tenant and the filters',
      request: { body: { required: false, content: { 'application/json': { schema: Filter } } } },
      responses: {
        201: jsonResponse(z.object({ ticket: z.string(), expires_in: z.number().int(), url: z.string() }), 'Ticket'),
        ...problemResponses,
      },
    }),
    async (c) => c.json(await service.createTicket(c.get('ctx'), c.req.valid('json') ?? {}), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/realtime',
      operationId: 'getRealtimeState',
      tags,
      security: bearer,
      middleware: managers,
      summary: "Active calls, agent statuses, open alerts and today's metrics, from the live hub (manager)",
      request: { query: Filter },
      responses: { 200: jsonResponse(LiveState, 'Live state'), ...problemResponses },
    }),
    async (c) => c.json(await service.realtime(c.get('ctx'), c.req.valid('query')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/alerts',
      operationId: 'listAlerts',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Alerts (manager)',
      request: {
        query: PaginationQuery.extend({
          severity: z.enum(ALERT_SEVERITIES).optional(),
          type: z.string().max(64).optional(),
          status: z.enum(ALERT_STATUSES).optional(),
        }),
      },
      responses: { 200: jsonResponse(paginated(Alert, 'AlertPage'), 'Alerts'), ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await alertsService.listAlerts(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/alerts',
      operationId: 'createAlert',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Raise a manual alert (manager)',
      request: { body: jsonBody(CreateAlert) },
      responses: { 201: jsonResponse(Alert, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await alertsService.createManualAlert(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/alerts/{alert_id}',
      operationId: 'updateAlert',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Move an alert: open → acknowledged → resolved, or dismissed; other moves are 409 (manager)',
      request: { params: z.object({ alert_id: Uuid('alert_id') }), body: jsonBody(UpdateAlert) },
      responses: { 200: jsonResponse(Alert, 'Updated'), ...problemResponses },
    }),
    async (c) =>
      c.json(await alertsService.updateAlert(c.get('ctx'), c.req.valid('param').alert_id, c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/dashboard',
      operationId: 'getDashboard',
      tags,
      security: bearer,
      summary: 'Your command-center layout',
      responses: {
        200: jsonResponse(Dashboard, 'Layout'),
        ...problemResponses,
      },
    }),
    async (c) => c.json(await service.getDashboard(c.get('ctx')), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/dashboard',
      operationId: 'putDashboard',
      tags,
      security: bearer,
      summary: 'Save your layout (widget types and grid positions are checked)',
      request: { body: jsonBody(z.strictObject({ widgets: z.array(Widget).max(24) })) },
      responses: {
        200: jsonResponse(Dashboard, 'Saved'),
        ...problemResponses,
      },
    }),
    async (c) => c.json(await service.putDashboard(c.get('ctx'), c.req.valid('json').widgets), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      tags,
      security: bearer,
      middleware: managers,
      summary:
        'Call volume, average scores (overall and per criterion), compliance rate and agent performance, by agent, team or day (manager)',
      request: {
        query: z.object({
          period: z.enum(['day', 'week', 'month', 'quarter']).default('week'),
          group_by: z.enum(['agent', 'team', 'day']).optional(),
        }),
      },
      responses: { 200: jsonResponse(Metrics, 'Metrics'), ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await service.metrics(c.get('ctx'), q.period, q.group_by), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/agents/me/status',
      operationId: 'setMyStatus',
      tags,
      security: bearer,
      summary: 'Your status (available, on_call, wrap_up, break, offline); send {} as a heartbeat',
      request: {
        body: jsonBody(
          z.strictObject({ status: z.enum(['available', 'on_call', 'wrap_up', 'break', 'offline']).optional() }),
        ),
      },
      responses: { 200: jsonResponse(LiveAgent, 'Your live status'), ...problemResponses },
    }),
    async (c) => c.json(await service.setMyStatus(c.get('ctx'), c.req.valid('json').status ?? null), 200),
  );

/**
 * `GET /api/command-center/ws?tenant=<id>&ticket=<ticket>` with `Upgrade: websocket`. No JWT
 * (browsers cannot send one here): the ticket is checked, and the Origin against the allowed
 * origins, before the upgrade is handed to the tenant's hub, which spends the ticket.
 * `resume_from=<seq>` asks for what was missed.
 */
export const commandCenterSocket = new Hono<AppEnv>().get('/ws', async (c) => {
  const config = c.get('config');
  const origin = c.req.header('origin');
  if (origin && !config.allowedOrigins.includes(origin))
    throw new Forbidden('This origin may not open the command center.');
  const claims = await verifyTicket(config.ticketSecret, c.req.query('ticket') ?? '');
  if (!claims || claims.tenant !== c.req.query('tenant'))
    throw new Unauthenticated('The ticket is invalid, expired or for another tenant.');
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return c.text('Expected a WebSocket upgrade.', 426);
  const identity: SocketIdentity = {
    userId: claims.user,
    role: claims.role,
    teamId: claims.team,
    departmentId: claims.department,
    filter: claims.filter,
  };
  const headers = new Headers(c.req.raw.headers);
  headers.set('x-hub-identity', JSON.stringify(identity));
  headers.set('x-hub-ticket-id', claims.jti);
  headers.set('x-hub-ticket-expires', String(claims.exp * 1000));
  const resume = c.req.query('resume_from');
  if (resume !== undefined && /^\d{1,15}$/.test(resume)) headers.set('x-hub-resume', resume);
  const response = await hubStub(c.env, claims.tenant).fetch(new Request(c.req.url, { headers }));
  if (response.status === 401) throw new Unauthenticated('The ticket is invalid, expired or for another tenant.');
  return response;
});
