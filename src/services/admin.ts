import { and, asc, count, desc, eq, gte, lte, sql } from 'drizzle-orm';
import type { UserContext } from '../context';
import { auditLogs, featureFlags, settings, type JsonObject } from '../db/schema';
import type { Role } from '../auth/roles';
import type { Pagination } from './pagination';
import { iso, tenantOf } from './scope';
import { Invalid } from '../lib/errors';

function presentFlag(row: typeof featureFlags.$inferSelect) {
  return {
    feature_key: row.featureKey,
    description: row.description,
    enabled: row.enabled,
    rollout_percentage: row.rolloutPercentage,
    target_roles: row.targetRoles,
    updated_at: iso(row.updatedAt),
  };
}

export async function listFeatureFlags(ctx: UserContext) {
  tenantOf(ctx);
  const [rows] = await ctx.db.run((q) => [q.select().from(featureFlags).orderBy(asc(featureFlags.featureKey))]);
  return rows.map(presentFlag);
}

export interface FlagUpdate {
  feature_key: string;
  enabled: boolean;
  rollout_percentage?: number;
  target_roles?: Role[];
  description?: string | null;
}

/** Upsert: the first PUT of a key creates the flag. Fields left out keep their value. */
export async function putFeatureFlag(ctx: UserContext, input: FlagUpdate) {
  const tenantId = tenantOf(ctx);
  const values = {
    tenantId,
    featureKey: input.feature_key,
    enabled: input.enabled,
    rolloutPercentage: input.rollout_percentage ?? 100,
    targetRoles: input.target_roles ?? [],
    description: input.description ?? null,
  };
  const set: Partial<typeof values> = { enabled: input.enabled };
  if (input.rollout_percentage !== undefined) set.rolloutPercentage = input.rollout_percentage;
  if (input.target_roles !== undefined) set.targetRoles = input.target_roles;
  if (input.description !== undefined) set.description = input.description;
  const [[row]] = await ctx.db.run((q) => [
    q
      .insert(featureFlags)
      .values(values)
      .onConflictDoUpdate({ target: [featureFlags.tenantId, featureFlags.featureKey], set })
      .returning(),
  ]);
  return presentFlag(row!);
}

function presentSettings(row: typeof settings.$inferSelect) {
  return { category: row.category, settings: row.values, updated_at: iso(row.updatedAt) };
}

export async function getSettings(ctx: UserContext, category?: string) {
  tenantOf(ctx);
  const [rows] = await ctx.db.run((q) => [
    q
      .select()
      .from(settings)
      .where(category ? eq(settings.category, category) : undefined)
      .orderBy(asc(settings.category)),
  ]);
  return rows.map(presentSettings);
}

/** Whole-number settings the platform reads, with their bounds: a value outside them is refused, not clamped. */
const BOUNDED: Record<string, Record<string, [min: number, max: number]>> = {
  disputes: { window_days: [0, 365], max_open_per_evaluation: [1, 20] },
};

function checkBounded(category: string, values: JsonObject) {
  const bounds = BOUNDED[category];
  if (!bounds) return;
  const errors = Object.entries(bounds).flatMap(([key, [min, max]]) => {
    const v = values[key];
    if (v === undefined || v === null) return [];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      return [{ field: `settings.${key}`, message: `must be a whole number from ${min} to ${max}` }];
    return [];
  });
  if (errors.length) throw new Invalid(`Some ${category} settings are out of range.`, errors);
}

/** Merges the given keys into the category (jsonb ||); a key set to null is removed. */
export async function putSettings(ctx: UserContext, input: { category: string; settings: JsonObject }) {
  const tenantId = tenantOf(ctx);
  checkBounded(input.category, input.settings);
  const removed = Object.entries(input.settings)
    .filter(([, v]) => v === null)
    .map(([k]) => k);
  const kept = Object.fromEntries(Object.entries(input.settings).filter(([, v]) => v !== null));
  const [[row]] = await ctx.db.run((q) => [
    q
      .insert(settings)
      .values({ tenantId, category: input.category, values: kept })
      .onConflictDoUpdate({
        target: [settings.tenantId, settings.category],
        set: { values: sql`(${settings.values} || ${JSON.stringify(kept)}::jsonb) - ${sql.param(removed)}::text[]` },
      })
      .returning(),
  ]);
  return presentSettings(row!);
}

export interface AuditQuery extends Pagination {
  from_date?: string;
  to_date?: string;
  user_id?: string;
  action?: string;
  entity_type?: string;
}

/**
 * The named tenant's trail, newest first (rows of one transaction, which share a timestamp, in
 * reverse order of writing). A super admin must name the tenant; row-level security shows it no other.
 */
export async function listAuditLogs(ctx: UserContext, f: AuditQuery) {
  const tenantId = tenantOf(ctx);
  const where = and(
    eq(auditLogs.tenantId, tenantId),
    f.from_date ? gte(auditLogs.createdAt, f.from_date) : undefined,
    f.to_date ? lte(auditLogs.createdAt, f.to_date) : undefined,
    f.user_id ? eq(auditLogs.actorId, f.user_id) : undefined,
    f.action ? eq(auditLogs.action, f.action) : undefined,
    f.entity_type ? eq(auditLogs.entityType, f.entity_type) : undefined,
  );
  const [rows, [counted]] = await ctx.db.run((q) => [
    q
      .select()
      .from(auditLogs)
      .where(where)
      .orderBy(desc(auditLogs.createdAt), desc(auditLogs.seq))
      .limit(f.limit)
      .offset((f.page - 1) * f.limit),
    q.select({ n: count() }).from(auditLogs).where(where),
  ]);
  return {
    rows: rows.map((r) => ({
      id: r.id,
      tenant_id: r.tenantId,
      actor_id: r.actorId,
      actor_role: r.actorRole,
      action: r.action,
      entity_type: r.entityType,
      entity_id: r.entityId,
      changes: r.changes,
      request_id: r.requestId,
      created_at: iso(r.createdAt),
    })),
    total: counted?.n ?? 0,
  };
}
