import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { HubEvent } from '../../durable-objects/tenant-hub';
import type { ServiceContext, UserContext } from '../context';
import { alerts, users } from '../db/schema';
import { Conflict, NotFound } from '../lib/errors';
import type { Pagination } from './pagination';
import { iso, tenantOf } from './scope';

type AlertRow = typeof alerts.$inferSelect;

export function presentAlert(a: AlertRow) {
  return {
    id: a.id,
    type: a.type,
    severity: a.severity,
    status: a.status,
    source: a.source,
    entity_type: a.entityType,
    entity_id: a.entityId,
    agent_id: a.agentId,
    title: a.title,
    description: a.description,
    created_by: a.createdBy,
    acknowledged_by: a.acknowledgedBy,
    acknowledged_at: iso(a.acknowledgedAt),
    resolved_by: a.resolvedBy,
    resolved_at: iso(a.resolvedAt),
    resolution_notes: a.resolutionNotes,
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
  };
}

/** Postgres first (the record), then the live view; a hub hiccup never loses the alert. */
export async function pushToHub(ctx: ServiceContext, event: HubEvent) {
  try {
    await ctx.hub(tenantOf(ctx)).publish(event);
  } catch (err) {
    ctx.log.error('hub publish failed', { event: event.type, error: err });
  }
}

function alertEvent(
  type: 'alert.created' | 'alert.updated',
  row: AlertRow,
  team: { team_id: string | null; department_id: string | null } | null,
): HubEvent {
  return {
    type,
    data: presentAlert(row),
    agent_id: row.agentId,
    team_id: team?.team_id ?? null,
    department_id: team?.department_id ?? null,
  };
}

export interface NewAlert {
  type: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  entity_type?: string | null;
  entity_id?: string | null;
  agent_id?: string | null;
  title: string;
  description?: string | null;
  dedupe_key?: string | null;
}

/**
 * Records alerts, at most one per dedupe key (one per call and rule), and pushes the ones that
 * are new to the hub. Returns those.
 */
export async function raiseAlerts(
  ctx: ServiceContext,
  source: 'manual' | 'pipeline' | 'hub' | 'telephony',
  list: NewAlert[],
) {
  if (!list.length) return [];
  const tenantId = tenantOf(ctx);
  const createdBy = ctx.actor.kind === 'user' ? ctx.actor.userId : null;
  const rows = list.map((a) => ({ ...a, id: crypto.randomUUID() }));
  const [inserted] = await ctx.db.run((q) => [
    q.execute(sql`
      insert into ${alerts} (id, tenant_id, type, severity, status, source, entity_type, entity_id, agent_id, title, description, dedupe_key, created_by)
      select x.id, ${tenantId}, x.type, x.severity, 'open', ${source}, x.entity_type, x.entity_id, x.agent_id, x.title, x.description, x.dedupe_key, ${createdBy}
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(id uuid, type text, severity text, entity_type text, entity_id text, agent_id uuid, title text, description text, dedupe_key text)
      on conflict (tenant_id, dedupe_key) where dedupe_key is not null do nothing
      returning *, (select jsonb_build_object('team_id', u.team_id, 'department_id', u.department_id) from ${users} u where u.id = agent_id) as placement`),
  ]);
  const created = (inserted.rows as Record<string, unknown>[]).map((r) => ({
    row: rowFromSql(r),
    placement: r.placement as { team_id: string | null; department_id: string | null } | null,
  }));
  for (const c of created) await pushToHub(ctx, alertEvent('alert.created', c.row, c.placement));
  return created.map((c) => presentAlert(c.row));
}

/** Raw `returning *` rows use column names; map them to the drizzle shape. */
function rowFromSql(r: Record<string, unknown>): AlertRow {
  const s = (k: string) => (r[k] === null || r[k] === undefined ? null : String(r[k]));
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    type: String(r.type),
    severity: r.severity as AlertRow['severity'],
    status: r.status as AlertRow['status'],
    source: r.source as AlertRow['source'],
    entityType: s('entity_type'),
    entityId: s('entity_id'),
    agentId: s('agent_id'),
    title: String(r.title),
    description: s('description'),
    dedupeKey: s('dedupe_key'),
    createdBy: s('created_by'),
    acknowledgedBy: s('acknowledged_by'),
    acknowledgedAt: s('acknowledged_at'),
    resolvedBy: s('resolved_by'),
    resolvedAt: s('resolved_at'),
    resolutionNotes: s('resolution_notes'),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
}

export interface AlertFilter extends Pagination {
  severity?: AlertRow['severity'];
  type?: string;
  status?: AlertRow['status'];
}

export async function listAlerts(ctx: UserContext, f: AlertFilter) {
  tenantOf(ctx);
  const where = and(
    f.severity ? eq(alerts.severity, f.severity) : undefined,
    f.type ? eq(alerts.type, f.type) : undefined,
    f.status ? eq(alerts.status, f.status) : undefined,
  );
  const [rows, [counted]] = await ctx.db.run((q) => [
    q
      .select()
      .from(alerts)
      .where(where)
      .orderBy(desc(alerts.createdAt), desc(alerts.id))
      .limit(f.limit)
      .offset((f.page - 1) * f.limit),
    q.select({ n: count() }).from(alerts).where(where),
  ]);
  return { rows: rows.map(presentAlert), total: counted?.n ?? 0 };
}

export async function createManualAlert(ctx: UserContext, input: NewAlert) {
  const [created] = await raiseAlerts(ctx, 'manual', [{ ...input, dedupe_key: null }]);
  return created!;
}

/** open → acknowledged → resolved; open or acknowledged → dismissed. Anything else is 409. */
const ALLOWED_FROM: Record<string, AlertRow['status'][]> = {
  acknowledged: ['open'],
  resolved: ['open', 'acknowledged'],
  dismissed: ['open', 'acknowledged'],
  open: [],
};

export async function updateAlert(
  ctx: UserContext,
  alertId: string,
  input: { status: 'acknowledged' | 'resolved' | 'dismissed'; resolution_notes?: string | null },
) {
  tenantOf(ctx);
  const me = ctx.actor.userId;
  const set: Record<string, unknown> = { status: input.status };
  if (input.status === 'acknowledged') Object.assign(set, { acknowledgedBy: me, acknowledgedAt: sql`now()` });
  if (input.status === 'resolved' || input.status === 'dismissed')
    Object.assign(set, { resolvedBy: me, resolvedAt: sql`now()`, resolutionNotes: input.resolution_notes ?? null });
  const [[current], placementRows, [updated]] = await ctx.db.run((q) => [
    q.select({ status: alerts.status }).from(alerts).where(eq(alerts.id, alertId)),
    q
      .select({ team_id: users.teamId, department_id: users.departmentId })
      .from(users)
      .where(sql`${users.id} = (select a.agent_id from ${alerts} a where a.id = ${alertId})`),
    q
      .update(alerts)
      .set(set)
      .where(and(eq(alerts.id, alertId), sql`${alerts.status} = any(${sql.param(ALLOWED_FROM[input.status])}::text[])`))
      .returning(),
  ]);
  if (!current) throw new NotFound('Alert');
  if (!updated) throw new Conflict(`An alert that is ${current.status} cannot become ${input.status}.`);
  await pushToHub(ctx, alertEvent('alert.updated', updated, placementRows[0] ?? null));
  return presentAlert(updated);
}
