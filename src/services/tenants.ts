import { and, asc, count, eq, inArray, sql, sum } from 'drizzle-orm';
import type { UserContext } from '../context';
import { calls, tenants, tenantUsage, users, type JsonObject, type TenantLimits } from '../db/schema';
import type { QueryBuilder } from '../db/tenant-db';
import { IN_FLIGHT } from '../pipeline/messages';
import { Keycloak } from '../integrations/keycloak';
import { tenantRealmRepresentation } from '../integrations/tenant-realm';
import { Forbidden, NotFound } from '../lib/errors';
import { realmOf } from '../auth/verify-access-token';
import type { Pagination } from './pagination';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { iso } from './scope';
import { TIER_LIMITS } from './tier-limits';

type Tier = keyof typeof TIER_LIMITS;
type Status = 'active' | 'suspended';

function present(row: typeof tenants.$inferSelect) {
  return {
    tenant_id: row.id,
    display_name: row.displayName,
    subdomain: row.subdomain,
    tier: row.tier,
    status: row.status,
    limits: row.limits,
    settings: row.settings,
    branding: row.branding,
    features: row.features,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/**
 * A caller may address a tenant by id only if it is their own, or if they are a super admin.
 * Anyone else is told it does not exist, as if it were not there.
 */
function scopedTo(ctx: UserContext, tenantId: string) {
  if (ctx.actor.role === 'super_admin') return ctx.db.forTenant(tenantId);
  if (ctx.actor.homeTenant !== tenantId) throw new NotFound('Tenant');
  return ctx.db;
}

export async function listTenants(ctx: UserContext, f: Pagination & { status?: Status; tier?: Tier }) {
  const where = and(f.status ? eq(tenants.status, f.status) : undefined, f.tier ? eq(tenants.tier, f.tier) : undefined);
  const [rows, [counted]] = await ctx.db.run((q) => [
    q
      .select()
      .from(tenants)
      .where(where)
      .orderBy(asc(tenants.id))
      .limit(f.limit)
      .offset((f.page - 1) * f.limit),
    q.select({ n: count() }).from(tenants).where(where),
  ]);
  return { rows: rows.map(present), total: counted?.n ?? 0 };
}

export interface NewTenant {
  tenant_id: string;
  display_name: string;
  subdomain: string;
  tier: Tier;
  admin: { email: string; first_name: string; last_name: string; password: string };
}

/**
 * The tenant row, its first admin's profile and the realm are created together: the rows first
 * (so a duplicate id or subdomain fails before anything exists in Keycloak), then the realm with
 * its roles, client and admin user. If the realm cannot be created the rows are removed again,
 * so a failure leaves nothing behind.
 */
export async function createTenant(ctx: UserContext, input: NewTenant) {
  const adminId = crypto.randomUUID();
  const tenantDb = ctx.db.forTenant(input.tenant_id);
  const enterTenant = await ctx.db.contextSwitch(input.tenant_id);
  const [[row]] = await ctx.db.run((q) => [
    q
      .insert(tenants)
      .values({
        id: input.tenant_id,
        displayName: input.display_name,
        subdomain: input.subdomain,
        tier: input.tier,
        limits: TIER_LIMITS[input.tier],
      })
      .returning(),
    // Re-enter the context as the new tenant so the admin's row passes its RLS check.
    enterTenant(q),
    q.insert(users).values({
      id: adminId,
      tenantId: input.tenant_id,
      email: input.admin.email,
      firstName: input.admin.first_name,
      lastName: input.admin.last_name,
      role: 'tenant_admin',
    }),
  ]);

  const realm = tenantRealmRepresentation(ctx.config, input.tenant_id, input.display_name, {
    id: adminId,
    email: input.admin.email,
    firstName: input.admin.first_name,
    lastName: input.admin.last_name,
    password: input.admin.password,
  });
  try {
    await new Keycloak(ctx.config).createRealm(realm);
  } catch (err) {
    await tenantDb.run((q) => [q.delete(tenants).where(eq(tenants.id, input.tenant_id))]);
    throw err;
  }
  return { ...present(row!), admin_user_id: adminId, realm: realmOf(input.tenant_id) };
}

export async function getTenant(ctx: UserContext, tenantId: string) {
  const db = scopedTo(ctx, tenantId);
  const [[row]] = await db.run((q) => [q.select().from(tenants).where(eq(tenants.id, tenantId))]);
  if (!row) throw new NotFound('Tenant');
  return present(row);
}

export interface TenantUpdate {
  display_name?: string;
  settings?: JsonObject;
  branding?: JsonObject;
  features?: JsonObject;
  tier?: Tier;
  status?: Status;
  limits?: Partial<TenantLimits>;
}

export async function updateTenant(ctx: UserContext, tenantId: string, input: TenantUpdate) {
  const db = scopedTo(ctx, tenantId);
  const platformOnly = (['tier', 'status', 'limits'] as const).filter((k) => input[k] !== undefined);
  if (platformOnly.length && ctx.actor.role !== 'super_admin') {
    throw new Forbidden(`Only platform administrators may change ${platformOnly.join(', ')}.`);
  }
  const set: PgUpdateSetSource<typeof tenants> = {};
  if (input.display_name !== undefined) set.displayName = input.display_name;
  // Objects are merged key by key (jsonb ||), so a client can change one setting at a time.
  if (input.settings) set.settings = sql`${tenants.settings} || ${JSON.stringify(input.settings)}::jsonb`;
  if (input.branding) set.branding = sql`${tenants.branding} || ${JSON.stringify(input.branding)}::jsonb`;
  if (input.features) set.features = sql`${tenants.features} || ${JSON.stringify(input.features)}::jsonb`;
  if (input.limits) set.limits = sql`${tenants.limits} || ${JSON.stringify(input.limits)}::jsonb`;
  if (input.tier) {
    set.tier = input.tier;
    if (!input.limits) set.limits = TIER_LIMITS[input.tier];
  }
  if (input.status) set.status = input.status;
  const [[row]] = await db.run((q) => [
    q.update(tenants).set(set).where(eq(tenants.id, tenantId)).returning(),
    input.status === 'active' && resumePausedCalls(q, ctx.config.pipeline.stuckAfterMinutes),
  ]);
  if (!row) throw new NotFound('Tenant');
  return present(row);
}

/**
 * While a tenant is suspended the pipeline does nothing for it (its steps are refused by the
 * database), so its calls in flight wait where they are. On reactivation they are dated back to the
 * sweeper's timeout, so the next sweep (every 5 minutes) queues each again at the step it needs.
 */
function resumePausedCalls(q: QueryBuilder, stuckAfterMinutes: number) {
  return (
    q
      .update(calls)
      // Exactly one timeout back: old enough to be re-queued, never so old it counts as abandoned.
      .set({ statusChangedAt: sql`now() - make_interval(mins => ${stuckAfterMinutes})` })
      .where(inArray(calls.status, IN_FLIGHT))
  );
}

export async function tenantUsageReport(ctx: UserContext, tenantId: string) {
  const db = scopedTo(ctx, tenantId);
  const monthStart = sql`date_trunc('month', now())::date`;
  const [[tenant], byRole, [metered]] = await db.run((q) => [
    q.select({ limits: tenants.limits }).from(tenants).where(eq(tenants.id, tenantId)),
    q
      .select({ role: users.role, status: users.status, n: count() })
      .from(users)
      .where(eq(users.tenantId, tenantId))
      .groupBy(users.role, users.status),
    q
      .select({
        callsTotal: sum(tenantUsage.calls).mapWith(Number),
        callsThisMonth:
          sql<number>`coalesce(sum(${tenantUsage.calls}) filter (where ${tenantUsage.day} >= ${monthStart}), 0)`.mapWith(
            Number,
          ),
        callsToday:
          sql<number>`coalesce(sum(${tenantUsage.calls}) filter (where ${tenantUsage.day} = current_date), 0)`.mapWith(
            Number,
          ),
        storageBytes: sum(tenantUsage.storageBytes).mapWith(Number),
      })
      .from(tenantUsage)
      .where(eq(tenantUsage.tenantId, tenantId)),
  ]);
  if (!tenant) throw new NotFound('Tenant');
  const users_by_role: Record<string, number> = {};
  let total = 0;
  let active = 0;
  for (const r of byRole) {
    users_by_role[r.role] = (users_by_role[r.role] ?? 0) + r.n;
    total += r.n;
    if (r.status === 'active') active += r.n;
  }
  const storageBytes = metered?.storageBytes ?? 0;
  return {
    tenant_id: tenantId,
    users: { total, active, by_role: users_by_role },
    calls: {
      total: metered?.callsTotal ?? 0,
      this_month: metered?.callsThisMonth ?? 0,
      today: metered?.callsToday ?? 0,
    },
    storage_gb: Math.round((storageBytes / 1024 ** 3) * 1000) / 1000,
    storage_bytes: storageBytes,
    limits: tenant.limits,
  };
}
