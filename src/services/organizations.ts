import { and, asc, eq, sql } from 'drizzle-orm';
import type { UserContext } from '../context';
import type { QueryBuilder } from '../db/tenant-db';
import { departments, organizations, teams, users } from '../db/schema';
import { NotFound } from '../lib/errors';
import { iso, tenantOf } from './scope';

export interface NewOrganization {
  name: string;
  industry?: string | null;
  size?: string | null;
  timezone?: string;
}

// Correlated subqueries spell out the outer table: drizzle renders a bare column unqualified here.
const usersCount = sql<number>`(select count(*)::int from ${users} u where u.organization_id = ${organizations}.id)`;

function present(row: typeof organizations.$inferSelect & { usersCount?: number }) {
  return {
    id: row.id,
    name: row.name,
    industry: row.industry,
    size: row.size,
    timezone: row.timezone,
    users_count: row.usersCount ?? 0,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export async function listOrganizations(ctx: UserContext) {
  tenantOf(ctx);
  const [rows] = await ctx.db.run((q) => [
    q
      .select({ ...organizationColumns, usersCount })
      .from(organizations)
      .orderBy(asc(organizations.name)),
  ]);
  return rows.map(present);
}

export async function getOrganization(ctx: UserContext, id: string) {
  tenantOf(ctx);
  const [rows] = await ctx.db.run((q) => [
    q
      .select({ ...organizationColumns, usersCount })
      .from(organizations)
      .where(eq(organizations.id, id)),
  ]);
  if (!rows[0]) throw new NotFound('Organization');
  return present(rows[0]);
}

export async function createOrganization(ctx: UserContext, input: NewOrganization) {
  const tenantId = tenantOf(ctx);
  const [rows] = await ctx.db.run((q) => [
    q
      .insert(organizations)
      .values({ ...input, tenantId })
      .returning(),
  ]);
  return present(rows[0]!);
}

const organizationColumns = {
  id: organizations.id,
  tenantId: organizations.tenantId,
  name: organizations.name,
  industry: organizations.industry,
  size: organizations.size,
  timezone: organizations.timezone,
  createdAt: organizations.createdAt,
  updatedAt: organizations.updatedAt,
};

// ---- departments and teams: always under an organization of the caller's tenant -------------

const orgExists = (q: QueryBuilder, orgId: string) =>
  q.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, orgId));

export async function listDepartments(ctx: UserContext, orgId: string) {
  tenantOf(ctx);
  const [org, rows] = await ctx.db.run((q) => [
    orgExists(q, orgId),
    q.select().from(departments).where(eq(departments.organizationId, orgId)).orderBy(asc(departments.name)),
  ]);
  if (!org[0]) throw new NotFound('Organization');
  return rows.map(presentDepartment);
}

export async function createDepartment(
  ctx: UserContext,
  orgId: string,
  input: { name: string; description?: string | null },
) {
  tenantOf(ctx);
  // Insert-from-select: an organization the caller cannot see (RLS) yields no row, hence 404.
  const [rows] = await ctx.db.run((q) => [
    q
      .insert(departments)
      .select(
        q
          .select({
            id: sql`gen_random_uuid()`.as('id'),
            tenantId: organizations.tenantId,
            organizationId: organizations.id,
            name: sql`${input.name}`.as('name'),
            description: sql`${input.description ?? null}`.as('description'),
            createdAt: sql`now()`.as('created_at'),
            updatedAt: sql`now()`.as('updated_at'),
          })
          .from(organizations)
          .where(eq(organizations.id, orgId)),
      )
      .returning(),
  ]);
  if (!rows[0]) throw new NotFound('Organization');
  return presentDepartment(rows[0]);
}

function presentDepartment(row: typeof departments.$inferSelect) {
  return {
    id: row.id,
    organization_id: row.organizationId,
    name: row.name,
    description: row.description,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export interface NewTeam {
  name: string;
  department_id?: string | null;
  team_lead_id?: string | null;
}

const membersCount = sql<number>`(select count(*)::int from ${users} u where u.team_id = ${teams}.id)`;

export async function listTeams(ctx: UserContext, orgId: string, filter: { department_id?: string }) {
  tenantOf(ctx);
  const where = and(
    eq(teams.organizationId, orgId),
    filter.department_id ? eq(teams.departmentId, filter.department_id) : undefined,
  );
  const [org, rows] = await ctx.db.run((q) => [
    orgExists(q, orgId),
    q.select({ team: teams, membersCount }).from(teams).where(where).orderBy(asc(teams.name)),
  ]);
  if (!org[0]) throw new NotFound('Organization');
  return rows.map((r) => presentTeam(r.team, r.membersCount));
}

export async function createTeam(ctx: UserContext, orgId: string, input: NewTeam) {
  tenantOf(ctx);
  const [rows] = await ctx.db.run((q) => [
    q
      .insert(teams)
      .select(
        q
          .select({
            id: sql`gen_random_uuid()`.as('id'),
            tenantId: organizations.tenantId,
            organizationId: organizations.id,
            departmentId: sql`${input.department_id ?? null}::uuid`.as('department_id'),
            teamLeadId: sql`${input.team_lead_id ?? null}::uuid`.as('team_lead_id'),
            name: sql`${input.name}`.as('name'),
            createdAt: sql`now()`.as('created_at'),
            updatedAt: sql`now()`.as('updated_at'),
          })
          .from(organizations)
          .where(eq(organizations.id, orgId)),
      )
      .returning(),
  ]);
  if (!rows[0]) throw new NotFound('Organization');
  return presentTeam(rows[0], 0);
}

function presentTeam(row: typeof teams.$inferSelect, members: number) {
  return {
    id: row.id,
    organization_id: row.organizationId,
    department_id: row.departmentId,
    team_lead_id: row.teamLeadId,
    name: row.name,
    members_count: members,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}
