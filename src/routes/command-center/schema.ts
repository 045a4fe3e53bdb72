import { createRoute, z } from '@hono/zod-openapi';
import { ALERT_SEVERITIES, ALERT_STATUSES } from '../../db/schema';
import { orNull, problemResponses, TenantIdSchema, Timestamp } from '../shared/schemas';

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

export const Alert = z
  .object({
    id: z.uuid(),
    type: z.string().openapi({ example: 'low_score' }),
    severity: z.enum(ALERT_SEVERITIES),
    status: z.enum(ALERT_STATUSES),
    source: z.enum(['manual', 'pipeline', 'hub', 'telephony']),
    entity_type: z.string().nullable().openapi({ description: 'call, agent, team, queue or other' }),
    entity_id: z.string().nullable(),
    agent_id: z.uuid().nullable(),
    title: z.string(),
    description: z.string().nullable(),
    created_by: z.string().nullable(),
    acknowledged_by: z.string().nullable(),
    acknowledged_at: Timestamp.nullable(),
    resolved_by: z.string().nullable(),
    resolved_at: Timestamp.nullable(),
    resolution_notes: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Alert');

export const AGENT_STATUSES = ['available', 'on_call', 'wrap_up', 'break', 'offline'] as const;

export const LiveAgent = z
  .object({
    agent_id: z.string(),
    name: z.string().nullable(),
    team_id: z.string().nullable(),
    department_id: z.string().nullable(),
    status: z.enum(AGENT_STATUSES),
    since: Timestamp.openapi({ description: 'When the agent entered this status' }),
    last_heartbeat: Timestamp,
  })
  .openapi('LiveAgent');

export const ActiveCall = z
  .object({
    call_id: z.string().openapi({ description: "The provider's call id (e.g. a Twilio CallSid) or the platform's" }),
    agent_id: z.string().nullable(),
    team_id: z.string().nullable(),
    direction: z.string().nullable().openapi({ description: 'inbound or outbound, as the provider reported it' }),
    started_at: Timestamp,
    flags: z.array(z.string()).openapi({ description: 'Markers the hub put on the call, e.g. overdue' }),
  })
  .openapi('ActiveCall');

export const LiveMetrics = z
  .object({
    day: z.iso.date().openapi({ description: 'The UTC day the counters are for' }),
    calls: z.number().int(),
    scored_calls: z.number().int(),
    average_score: z.number().nullable(),
    compliance_rate: z.number().min(0).max(1).nullable(),
    alerts_by_severity: z.record(z.string(), z.number().int()).openapi({
      description: `Alerts raised today, by severity (${ALERT_SEVERITIES.join(', ')}); a severity with none is absent`,
      example: { high: 2, critical: 1 },
    }),
  })
  .openapi('LiveMetrics');

export const LiveState = z
  .object({
    agent_statuses: z.record(z.string(), LiveAgent).openapi({ description: 'Agents the caller may see, by agent id' }),
    active_calls: z.array(ActiveCall),
    alerts: z.array(Alert).openapi({ description: 'Open and acknowledged alerts' }),
    metrics: orNull(LiveMetrics).openapi({ description: "Today's counters; null on an agent's socket" }),
  })
  .openapi('LiveState');

export const WIDGET_TYPES = [
  'active_calls',
  'agent_statuses',
  'alerts',
  'metrics',
  'score_trend',
  'compliance',
  'queue',
  'leaderboard',
] as const;

export const WidgetPosition = z
  .object({ x: z.number().int(), y: z.number().int(), w: z.number().int(), h: z.number().int() })
  .openapi('WidgetPosition', { description: 'Place on the 12-column grid' });

export const DashboardWidget = z
  .object({
    type: z.enum(WIDGET_TYPES),
    position: WidgetPosition,
    config: z
      .record(z.string(), z.unknown())
      .openapi({ description: "The widget's own options (e.g. a severity filter); each widget type reads its keys" }),
  })
  .openapi('DashboardWidget');

export const Dashboard = z
  .object({
    widgets: z.array(DashboardWidget),
    is_default: z.boolean().openapi({ description: 'No layout saved yet: the default one' }),
    updated_at: Timestamp.nullable(),
  })
  .openapi('Dashboard');

const MetricFigures = {
  call_volume: z.number().int(),
  average_score: z.number().nullable(),
  compliance_rate: z.number().min(0).max(1).nullable(),
};

export const Metrics = z
  .object({
    period: z.enum(['day', 'week', 'month', 'quarter']),
    group_by: z.enum(['agent', 'team', 'day']).nullable(),
    ...MetricFigures,
    average_scores: z
      .object({
        overall: z.number().nullable().openapi({ description: 'Mean overall score of the scored calls, one decimal' }),
        by_criterion: z.array(
          z.object({
            criterion_id: z.string(),
            name: z.string(),
            pct: z.number().nullable().openapi({ description: 'Points earned, % of max points, one decimal' }),
            results: z.number().int(),
          }),
        ),
      })
      .openapi({ description: 'Overall and per criterion, lowest criterion first' }),
    agent_performance: z
      .array(
        z.object({
          agent_id: z.uuid(),
          name: z.string().nullable(),
          team_id: z.uuid().nullable(),
          calls: z.number().int(),
          average_score: z.number().nullable(),
          pass_rate: z.number().min(0).max(1).nullable(),
        }),
      )
      .openapi({ description: 'Agents with calls in the period, best average first (at most 50)' }),
    groups: z.array(
      z
        .object({
          key: z.string().nullable().openapi({
            description: "Agent id, team id or YYYY-MM-DD; 'all' without group_by; null for no agent/team",
          }),
          ...MetricFigures,
        })
        .openapi('MetricGroup'),
    ),
  })
  .openapi('Metrics');

// The shapes the services present; their JSON columns and SQL aggregates are untyped, so presenters name these.
export type DashboardWidget = z.infer<typeof DashboardWidget>;
export type Metrics = z.infer<typeof Metrics>;
