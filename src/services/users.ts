import { and, asc, count, eq, ilike, inArray, or, sql } from 'drizzle-orm';
import type { UserContext } from '../context';
import { featureFlags, users } from '../db/schema';
import { Keycloak } from '../integrations/keycloak';
import { Forbidden, NotFound, UserLimitReached } from '../lib/errors';
import { insertUserWithinLimit, lockTenantSeats } from '../db/statements/users';
import { assignableRoles, atLeast, permissionsOf, type Role } from '../auth/roles';
import { realmOf } from '../auth/verify-access-token';
import type { Pagination } from './pagination';
import { iso, tenantOf } from './scope';

type Status = (typeof users.$inferSelect)['status'];

export function presentUser(row: typeof users.$inferSelect) {
  return {
    id: row.id,
    email: row.email,
    first_name: row.firstName,
    last_name: row.lastName,
    role: row.role,
    status: row.status,
    organization_id: row.organizationId,
    department_id: row.departmentId,
    team_id: row.teamId,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export interface UserFilter extends Pagination {
  role?: Role;
  team_id?: string;
  department_id?: string;
  organization_id?: string;
  status?: Status;
  q?: string;
}

export async function listUsers(ctx: UserContext, f: UserFilter) {
  tenantOf(ctx);
  const like = f.q ? `%${f.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%` : undefined;
  const where = and(
    f.role ? eq(users.role, f.role) : undefined,
    f.team_id ? eq(users.teamId, f.team_id) : undefined,
    f.department_id ? eq(users.departmentId, f.department_id) : undefined,
    f.organization_id ? eq(users.organizationId, f.organization_id) : undefined,
    f.status ? eq(users.status, f.status) : undefined,
    like ? or(ilike(users.email, like), ilike(users.firstName, like), ilike(users.lastName, like)) : undefined,
  );
  const [rows, [counted]] = await ctx.db.run((q) => [
    q
      .select()
      .from(users)
      .where(where)
      .orderBy(asc(users.email))
      .limit(f.limit)
      .offset((f.page - 1) * f.limit),
    q.select({ n: count() }).from(users).where(where),
  ]);
  return { rows: rows.map(presentUser), total: counted?.n ?? 0 };
}

/** Agents see only themselves; managers and up see anyone in their tenant. */
function mayView(ctx: UserContext, userId: string) {
  if (!atLeast(ctx.actor.role, 'manager') && ctx.actor.userId !== userId) {
    throw new Forbidden('Agents may only view their own account.');
  }
}

export async function getUser(ctx: UserContext, userId: string) {
  tenantOf(ctx);
  mayView(ctx, userId);
  const [[row]] = await ctx.db.run((q) => [q.select().from(users).where(eq(users.id, userId))]);
  if (!row) throw new NotFound('User');
  return presentUser(row);
}

export interface NewUser {
  email: string;
  first_name: string;
  last_name: string;
  role: Exclude<Role, 'super_admin'>;
  organization_id?: string | null;
  department_id?: string | null;
  team_id?: string | null;
  password?: string;
}

/**
 * The identity lives in Keycloak, the profile here. The Keycloak user is created first (its id
 * is the profile's key); if the profile cannot be stored (say, a team of another tenant) the
 * Keycloak user is deleted again, so nothing is left half-made. A tenant with as many active
 * users as its tier's `max_users` gets 409 `user-limit-reached` (decided in the insert itself).
 */
export async function createUser(ctx: UserContext, input: NewUser) {
  const tenantId = tenantOf(ctx);
  if (!assignableRoles(ctx.actor.role).includes(input.role)) {
    throw new Forbidden(`A ${ctx.actor.role} cannot create a user with the role ${input.role}.`);
  }
  const kc = new Keycloak(ctx.config);
  const realm = realmOf(tenantId);
  const id = await kc.createUser(realm, {
    username: input.email,
    email: input.email,
    firstName: input.first_name,
    lastName: input.last_name,
    enabled: true,
    emailVerified: false,
    ...(input.password
      ? { credentials: [{ type: 'password' as const, value: input.password, temporary: false }] }
      : {}),
  });
  try {
    await kc.assignRealmRole(realm, id, input.role);
    const [, inserted] = await ctx.db.run((q) => [
      lockTenantSeats(q, tenantId),
      insertUserWithinLimit(q, {
        id,
        tenantId,
        email: input.email,
        firstName: input.first_name,
        lastName: input.last_name,
        role: input.role,
        organizationId: input.organization_id ?? null,
        departmentId: input.department_id ?? null,
        teamId: input.team_id ?? null,
      }),
    ]);
    const row = inserted.rows[0]!;
    if (!row.id)
      throw new UserLimitReached(
        `This tenant has reached its limit of ${row.max_users} users; deactivate a user or ask for a higher tier.`,
      );
    return {
      id: row.id,
      email: row.email,
      first_name: row.first_name,
      last_name: row.last_name,
      role: row.role,
      status: row.status,
      organization_id: row.organization_id,
      department_id: row.department_id,
      team_id: row.team_id,
      created_at: iso(row.created_at),
      updated_at: iso(row.updated_at),
    };
  } catch (err) {
    await kc
      .deleteUser(realm, id)
      .catch((e) =>
        ctx.log.error('could not remove the Keycloak user after a failed create', { keycloak_user: id, error: e }),
      );
    throw err;
  }
}

export interface UserUpdate {
  first_name?: string;
  last_name?: string;
  organization_id?: string | null;
  department_id?: string | null;
  team_id?: string | null;
  status?: Status;
}

/**
 * A manager may change users of their rank or below. The target's existence and the rank check
 * ride in the same transaction as the update: 404 when the user is not in this tenant, 403 when
 * it outranks the caller.
 */
export async function updateUser(ctx: UserContext, userId: string, input: UserUpdate) {
  const tenantId = tenantOf(ctx);
  if (userId === ctx.actor.userId && input.status && input.status !== 'active') {
    throw new Forbidden('You cannot deactivate your own account.');
  }
  const allowed = assignableRoles(ctx.actor.role);
  const set: Partial<typeof users.$inferInsert> = {};
  if (input.first_name !== undefined) set.firstName = input.first_name;
  if (input.last_name !== undefined) set.lastName = input.last_name;
  if (input.organization_id !== undefined) set.organizationId = input.organization_id;
  if (input.department_id !== undefined) set.departmentId = input.department_id;
  if (input.team_id !== undefined) set.teamId = input.team_id;
  if (input.status !== undefined) set.status = input.status;
  const [[target], [updated]] = await ctx.db.run((q) => [
    q.select({ role: users.role, status: users.status }).from(users).where(eq(users.id, userId)),
    q
      .update(users)
      .set(set)
      .where(and(eq(users.id, userId), inArray(users.role, allowed)))
      .returning(),
  ]);
  if (!target) throw new NotFound('User');
  if (!updated) throw new Forbidden(`A ${ctx.actor.role} cannot change a ${target.role}.`);
  // Keycloak follows the profile so a deactivated user cannot even log in; the API already
  // refuses them (set_tenant_context checks the status) if this call does not get through.
  if (input.status !== undefined && input.status !== target.status) {
    await new Keycloak(ctx.config).setEnabled(realmOf(tenantId), userId, input.status === 'active');
  }
  return presentUser(updated);
}

export async function userPermissions(ctx: UserContext, userId: string) {
  const tenantId = tenantOf(ctx);
  mayView(ctx, userId);
  const [[row], flags] = await ctx.db.run((q) => [
    q.select({ role: users.role }).from(users).where(eq(users.id, userId)),
    q
      .select({
        key: featureFlags.featureKey,
        enabled: sql<boolean>`is_feature_enabled(${tenantId}, ${featureFlags.featureKey}, ${userId}, (select ${users.role} from ${users} where ${users.id} = ${userId}))`,
      })
      .from(featureFlags)
      .orderBy(asc(featureFlags.featureKey)),
  ]);
  if (!row) throw new NotFound('User');
  return {
    user_id: userId,
    roles: [row.role],
    permissions: permissionsOf(row.role),
    feature_flags: Object.fromEntries(flags.map((f) => [f.key, f.enabled])),
  };
}
