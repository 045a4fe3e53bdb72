import { eq, sql } from 'drizzle-orm';
import type { AgentStatus, Thresholds } from '../../durable-objects/tenant-hub';
import type { UserContext } from '../context';
import { calls, dashboards, evaluations, settings, users } from '../db/schema';
import { Invalid } from '../lib/errors';
import type { DashboardWidget, Metrics } from '../routes/command-center/schema';
import { iso, tenantOf } from './scope';
import { signTicket, TICKET_TTL_SECONDS } from './tickets';

export async function createTicket(ctx: UserContext, filter: { team_id?: string; department_id?: string }) {
  const tenantId = tenantOf(ctx);
  // Placement decides what an agent's socket is tagged with; read with the caller's own row.
  const [[me]] = await ctx.db.run((q) => [
    q
      .select({ teamId: users.teamId, departmentId: users.departmentId })
      .from(users)
      .where(eq(users.id, ctx.actor.userId)),
  ]);
  const { ticket } = await signTicket(ctx.config.ticketSecret, {
    tenant: tenantId,
    user: ctx.actor.userId,
    role: ctx.actor.role,
    team: me?.teamId ?? null,
    department: me?.departmentId ?? null,
    filter,
  });
  const wsBase = ctx.config.publicUrl.replace(/^http/, 'ws');
  return {
    ticket,
    expires_in: TICKET_TTL_SECONDS,
    url: `${wsBase}/api/command-center/ws?tenant=${encodeURIComponent(tenantId)}&ticket=${encodeURIComponent(ticket)}`,
  };
}

export async function realtime(ctx: UserContext, filter: { team_id?: string; department_id?: string }) {
  const tenantId = tenantOf(ctx);
  return ctx.hub(tenantId).snapshotFor(filter);
}

/** An agent's own status and heartbeat (a heartbeat is a call with no status). */
export async function setMyStatus(ctx: UserContext, status: AgentStatus | null) {
  const tenantId = tenantOf(ctx);
  const [[me], [cc]] = await ctx.db.run((q) => [
    q
      .select({ teamId: users.teamId, departmentId: users.departmentId, first: users.firstName, last: users.lastName })
      .from(users)
      .where(eq(users.id, ctx.actor.userId)),
    q.select({ values: settings.values }).from(settings).where(eq(settings.category, 'command_center')),
  ]);
  const hub = ctx.hub(tenantId);
  await hub.configure(tenantId, thresholdsFrom(cc?.values ?? {}));
  return hub.agentStatus({
    agent_id: ctx.actor.userId,
    status,
    name: [me?.first, me?.last].filter(Boolean).join(' ') || null,
    team_id: me?.teamId ?? null,
    department_id: me?.departmentId ?? null,
  });
}

/**
 * The tenant's presence thresholds, from its `command_center` settings (seconds):
 * `wrap_up_max_seconds`, `break_max_seconds`, `call_max_seconds`, `heartbeat_timeout_seconds`.
 */
export function thresholdsFrom(values: Record<string, unknown>): Partial<Thresholds> {
  const pick = (key: string) =>
    typeof values[key] === 'number' && (values[key] as number) > 0 ? (values[key] as number) : undefined;
  const t: Partial<Thresholds> = {
    wrapUpSeconds: pick('wrap_up_max_seconds'),
    breakSeconds: pick('break_max_seconds'),
    callSeconds: pick('call_max_seconds'),
    heartbeatSeconds: pick('heartbeat_timeout_seconds'),
  };
  return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined));
}

// ---- dashboards -----------------------------------------------------------------------------

export const DEFAULT_WIDGETS: DashboardWidget[] = [
  { type: 'active_calls', position: { x: 0, y: 0, w: 6, h: 4 }, config: {} },
  { type: 'agent_statuses', position: { x: 6, y: 0, w: 6, h: 4 }, config: {} },
  { type: 'alerts', position: { x: 0, y: 4, w: 12, h: 4 }, config: { severity: 'high' } },
];

export async function getDashboard(ctx: UserContext) {
  tenantOf(ctx);
  const [[row]] = await ctx.db.run((q) => [q.select().from(dashboards).where(eq(dashboards.userId, ctx.actor.userId))]);
  return {
    widgets: (row?.widgets as DashboardWidget[] | undefined) ?? DEFAULT_WIDGETS,
    is_default: !row,
    updated_at: iso(row?.updatedAt ?? null),
  };
}

export async function putDashboard(
  ctx: UserContext,
  widgets: {
    type: string;
    position: { x: number; y: number; w: number; h: number };
    config: Record<string, unknown>;
  }[],
) {
  const tenantId = tenantOf(ctx);
  // Widgets may not overlap on the 12-column grid.
  for (let i = 0; i < widgets.length; i++) {
    for (let j = i + 1; j < widgets.length; j++) {
      const a = widgets[i]!.position;
      const b = widgets[j]!.position;
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) {
        throw new Invalid('Widgets overlap.', [{ field: `widgets.${j}.position`, message: `overlaps widget ${i}` }]);
      }
    }
  }
  const [[row]] = await ctx.db.run((q) => [
    q
      .insert(dashboards)
      .values({ tenantId, userId: ctx.actor.userId, widgets })
      .onConflictDoUpdate({ target: [dashboards.tenantId, dashboards.userId], set: { widgets } })
      .returning(),
  ]);
  return { widgets: row!.widgets as DashboardWidget[], is_default: false, updated_at: iso(row!.updatedAt) };
}

// ---- metrics --------------------------------------------------------------------------------

const PERIOD_DAYS = { day: 1, week: 7, month: 30, quarter: 90 } as const;

/** Aggregates over scored calls in Postgres: volume, average score, compliance rate, by group. */
export async function metrics(
  ctx: UserContext,
  period: keyof typeof PERIOD_DAYS,
  groupBy: 'agent' | 'team' | 'day' | undefined,
): Promise<Metrics> {
  tenantOf(ctx);
  const since = sql`now() - make_interval(days => ${PERIOD_DAYS[period]})`;
  const compliant = sql`(e.compliance is null or not exists (select 1 from jsonb_array_elements(e.compliance) c where (c ->> 'met') = 'false'))`;
  const latest = sql`left join lateral (select overall_score, compliance from ${evaluations} ev where ev.call_id = ${calls.id} order by ev.created_at desc limit 1) e on true`;
  const group =
    groupBy === 'agent'
      ? sql`${calls.agentId}::text`
      : groupBy === 'team'
        ? sql`(select u.team_id::text from ${users} u where u.id = ${calls.agentId})`
        : groupBy === 'day'
          ? sql`to_char(${calls.createdAt}, 'YYYY-MM-DD')`
          : sql`'all'`;
  const [totals, groups] = await ctx.db.run((q) => [
    q.execute(sql`
      select count(*)::int as call_volume, round(avg(e.overall_score)::numeric, 1)::float as average_score,
             round((avg(case when e.overall_score is null then null when ${compliant} then 1 else 0 end))::numeric, 3)::float as compliance_rate
      from ${calls} ${latest} where ${calls.createdAt} >= ${since}`),
    q.execute(sql`
      select ${group} as key, count(*)::int as call_volume, round(avg(e.overall_score)::numeric, 1)::float as average_score,
             round((avg(case when e.overall_score is null then null when ${compliant} then 1 else 0 end))::numeric, 3)::float as compliance_rate
      from ${calls} ${latest} where ${calls.createdAt} >= ${since} group by 1 order by 1`),
  ]);
  type Figures = Omit<Metrics, 'period' | 'group_by' | 'groups'>;
  return {
    period,
    group_by: groupBy ?? null,
    ...(totals.rows[0] as Figures),
    groups: groups.rows as Metrics['groups'],
  };
}
