/**
 * User creation within the tier's seat limit: the count and the insert are one statement, after
 * a per-tenant lock taken earlier in the same batch, so two concurrent creations cannot both take
 * the last seat.
 */
import { sql } from 'drizzle-orm';
import { tenants, users } from '../schema';
import type { QueryBuilder } from '../tenant-db';

/**
 * Serialises user creation in one tenant until the transaction ends. It must be its own
 * statement, before the insert: a statement's snapshot is taken when it starts, so a lock taken
 * inside the insert would still count with a snapshot from before the wait.
 */
export function lockTenantSeats(q: QueryBuilder, tenantId: string) {
  return q.execute(sql`select pg_advisory_xact_lock(hashtextextended(${'seats:' + tenantId}, 0))`);
}

export interface NewUserRow {
  id: string;
  tenantId: string;
  email: string;
  firstName: string;
  lastName: string;
  role: string;
  organizationId: string | null;
  departmentId: string | null;
  teamId: string | null;
}

/**
 * Inserts the user if the tenant has fewer active users than its tier's `max_users` (inactive
 * and suspended users hold no seat). Answers one row: `max_users`, and the new user's columns,
 * all null when there was no seat.
 */
export function insertUserWithinLimit(q: QueryBuilder, u: NewUserRow) {
  return q.execute<{
    max_users: number;
    id: string | null;
    email: string;
    first_name: string | null;
    last_name: string | null;
    role: (typeof users.$inferSelect)['role'];
    status: (typeof users.$inferSelect)['status'];
    organization_id: string | null;
    department_id: string | null;
    team_id: string | null;
    created_at: string;
    updated_at: string;
  }>(sql`
    with tier as (select (${tenants.limits} ->> 'max_users')::int as max_users from ${tenants} where ${tenants.id} = ${u.tenantId}),
    seats as (select count(*) as taken from ${users} where ${users.tenantId} = ${u.tenantId} and ${users.status} = 'active'),
    ins as (
      insert into ${users} (id, tenant_id, email, first_name, last_name, role, organization_id, department_id, team_id)
      select ${u.id}::uuid, ${u.tenantId}, ${u.email}, ${u.firstName}, ${u.lastName}, ${u.role},
             ${u.organizationId}::uuid, ${u.departmentId}::uuid, ${u.teamId}::uuid
      where (select taken from seats) < coalesce((select max_users from tier), 0)
      returning id, email, first_name, last_name, role, status, organization_id, department_id, team_id,
                created_at, updated_at
    )
    select (select max_users from tier) as max_users, ins.* from (select 1) as one left join ins on true`);
}
