import { eq, sql } from 'drizzle-orm';
import type { AgentStatus, Thresholds } from '../../durable-objects/tenant-hub';
import type { UserContext } from '../context';
import { dashboards, settings, users } from '../db/schema';
import { noAgent } from '../db/statements/analytics';
import { bounds, DAILY_SUMS, mean, pct, ratio, type DailySums } from './analytics';
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

/** Tenant days covered, today included. */
const PERIOD_DAYS = { day: 1, week: 7, month: 30, quarter: 90 } as const;

/**
 * Volume, average scores (overall and per criterion), compliance rate and agent performance over
 * the last `period` of tenant days, from the analytics rollups (cost: days × agents, not calls).
 * `call_volume` counts the calls received (queued or later); rates are over the scored calls.
 */
export async function metrics(
  ctx: UserContext,
  period: keyof typeof PERIOD_DAYS,
  groupBy: 'agent' | 'team' | 'day' | undefined,
): Promise<Metrics> {
  tenantOf(ctx);
  const range = bounds({}, PERIOD_DAYS[period]);
  const key =
    groupBy === 'agent'
      ? sql`nullif(d.agent_id, ${noAgent})::text`
      : groupBy === 'team'
        ? sql`u.team_id::text`
        : groupBy === 'day'
          ? sql`d.day::text`
          : sql`'all'`;
  const [totals, groups, criteria, agents] = await ctx.db.run((q) => [
    q.execute<DailySums>(sql`
      with ${range}
      select ${DAILY_SUMS} from analytics_daily d join bounds b on d.day between b.f and b.t`),
    q.execute<DailySums & { key: string | null }>(sql`
      with ${range}
      select ${key} as key, ${DAILY_SUMS}
      from analytics_daily d join bounds b on d.day between b.f and b.t
      left join ${users} u on u.id = d.agent_id
      group by 1 order by 1 nulls first`),
    q.execute<{ criterion_id: string; name: string; n: number; points: number; max_points: number }>(sql`
      with ${range}
      select d.criterion_id, max(d.criterion_name) as name, sum(d.n)::int as n, sum(d.points)::float8 as points,
             sum(d.max_points)::float8 as max_points
      from analytics_daily_criteria d join bounds b on d.day between b.f and b.t
      group by d.criterion_id having sum(d.n) > 0
      order by sum(d.points)::float8 / nullif(sum(d.max_points), 0), d.criterion_id`),
    q.execute<{
      agent_id: string;
      name: string | null;
      team_id: string | null;
      calls: number;
      scored: number;
      score_sum: number;
      passed: number;
    }>(sql`
      with ${range}
      select d.agent_id, coalesce(nullif(trim(concat_ws(' ', u.first_name, u.last_name)), ''), u.email) as name,
             u.team_id, sum(d.received)::int as calls, sum(d.scored)::int as scored,
             sum(d.score_sum)::float8 as score_sum, sum(d.passed)::int as passed
      from analytics_daily d join bounds b on d.day between b.f and b.t
      left join ${users} u on u.id = d.agent_id
      where d.agent_id <> ${noAgent}
      group by d.agent_id, u.first_name, u.last_name, u.email, u.team_id
      order by sum(d.score_sum)::float8 / nullif(sum(d.scored), 0) desc nulls last, d.agent_id
      limit ${MAX_METRIC_AGENTS}`),
  ]);
  const figures = (s: DailySums) => ({
    call_volume: s.received,
    average_score: mean(s.score_sum, s.scored),
    compliance_rate: ratio(s.compliant, s.scored),
  });
  const total = totals.rows[0]!;
  return {
    period,
    group_by: groupBy ?? null,
    ...figures(total),
    average_scores: {
      overall: mean(total.score_sum, total.scored),
      by_criterion: criteria.rows.map((c) => ({
        criterion_id: c.criterion_id,
        name: c.name,
        pct: pct(c.points, c.max_points),
        results: c.n,
      })),
    },
    agent_performance: agents.rows.map((a) => ({
      agent_id: a.agent_id,
      name: a.name,
      team_id: a.team_id,
      calls: a.calls,
      average_score: mean(a.score_sum, a.scored),
      pass_rate: ratio(a.passed, a.scored),
    })),
    groups: groups.rows.map((g) => ({ key: g.key, ...figures(g) })),
  };
}

/** The agents listed in `agent_performance`, best average first. */
export const MAX_METRIC_AGENTS = 50;
