/**
 * The system of record. Every tenant-owned table carries `tenant_id`, has row-level security
 * enabled (forced in migrations/, which drizzle-kit cannot express) and one policy that keys
 * on the transaction-local `app.tenant_id` set by `set_tenant_context()`. Unique and foreign
 * keys include `tenant_id`, so a row can never point at another tenant's row.
 */
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  type PgTableExtraConfigValue,
  bigint,
  bigserial,
  date,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgPolicy,
  pgRole,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/** The runtime role: NOBYPASSRLS, owns nothing; created in migrations/ by hand. */
export const appRole = pgRole('qa_app').existing();

const currentTenant = sql`nullif(current_setting('app.tenant_id', true), '')`;
const isSuperAdmin = sql`current_setting('app.user_role', true) = 'super_admin'`;

/** The one policy every tenant table has: rows of the tenant in context, nothing else. */
function isolatedBy(tenantColumn: AnyPgColumn) {
  const sameTenant = sql`${tenantColumn} = ${currentTenant}`;
  return pgPolicy('tenant_isolation', { for: 'all', to: appRole, using: sameTenant, withCheck: sameTenant });
}

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
};

export const TENANT_TIERS = ['default', 'standard', 'enterprise'] as const;
export const TENANT_STATUSES = ['active', 'suspended'] as const;
export const ROLES = ['super_admin', 'tenant_admin', 'manager', 'agent'] as const;
export const USER_STATUSES = ['active', 'inactive', 'suspended'] as const;

export type TenantLimits = { max_users: number; max_calls_per_day: number; max_storage_gb: number; max_upload_mb: number };
export type JsonObject = Record<string, unknown>;

export const tenants = pgTable(
  'tenants',
  {
    id: text('id').primaryKey(),
    displayName: text('display_name').notNull(),
    subdomain: text('subdomain').notNull().unique(),
    tier: text('tier', { enum: TENANT_TIERS }).notNull().default('default'),
    status: text('status', { enum: TENANT_STATUSES }).notNull().default('active'),
    limits: jsonb('limits').$type<TenantLimits>().notNull(),
    settings: jsonb('settings').$type<JsonObject>().notNull().default({}),
    branding: jsonb('branding').$type<JsonObject>().notNull().default({}),
    features: jsonb('features').$type<JsonObject>().notNull().default({}),
    ...timestamps,
  },
  (t) => [
    // A tenant sees its own row; only the platform's super admins see every tenant.
    pgPolicy('tenant_isolation', {
      for: 'all',
      to: appRole,
      using: sql`${t.id} = ${currentTenant} or ${isSuperAdmin}`,
      withCheck: sql`${t.id} = ${currentTenant} or ${isSuperAdmin}`,
    }),
    check('tenants_id_format', sql`${t.id} ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'`),
  ],
);

export const organizations = pgTable(
  'organizations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    industry: text('industry'),
    size: text('size'),
    timezone: text('timezone').notNull().default('UTC'),
    ...timestamps,
  },
  (t) => [unique('organizations_tenant_id_id').on(t.tenantId, t.id), unique('organizations_tenant_name').on(t.tenantId, t.name), isolatedBy(t.tenantId)],
);

export const departments = pgTable(
  'departments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    organizationId: uuid('organization_id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    ...timestamps,
  },
  (t) => [
    unique('departments_tenant_id_id').on(t.tenantId, t.id),
    unique('departments_org_name').on(t.tenantId, t.organizationId, t.name),
    foreignKey({ name: 'departments_organization_fk', columns: [t.tenantId, t.organizationId], foreignColumns: [organizations.tenantId, organizations.id] }).onDelete('cascade'),
    isolatedBy(t.tenantId),
  ],
);

export const users = pgTable(
  'users',
  {
    /** The Keycloak `sub` of the user in the tenant's realm. */
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    role: text('role', { enum: ROLES }).notNull(),
    organizationId: uuid('organization_id'),
    departmentId: uuid('department_id'),
    teamId: uuid('team_id'),
    status: text('status', { enum: USER_STATUSES }).notNull().default('active'),
    ...timestamps,
  },
  (t): PgTableExtraConfigValue[] => [
    unique('users_tenant_id_id').on(t.tenantId, t.id),
    unique('users_tenant_email').on(t.tenantId, t.email),
    foreignKey({ name: 'users_organization_fk', columns: [t.tenantId, t.organizationId], foreignColumns: [organizations.tenantId, organizations.id] }),
    foreignKey({ name: 'users_department_fk', columns: [t.tenantId, t.departmentId], foreignColumns: [departments.tenantId, departments.id] }),
    // teams is declared below; the callback runs after both tables exist.
    foreignKey({ name: 'users_team_fk', columns: [t.tenantId, t.teamId], foreignColumns: [teams.tenantId, teams.id] }),
    index('users_tenant_role').on(t.tenantId, t.role),
    index('users_tenant_team').on(t.tenantId, t.teamId),
    isolatedBy(t.tenantId),
  ],
);

export const teams = pgTable(
  'teams',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    organizationId: uuid('organization_id').notNull(),
    departmentId: uuid('department_id'),
    teamLeadId: uuid('team_lead_id'),
    name: text('name').notNull(),
    ...timestamps,
  },
  (t): PgTableExtraConfigValue[] => [
    unique('teams_tenant_id_id').on(t.tenantId, t.id),
    unique('teams_org_name').on(t.tenantId, t.organizationId, t.name),
    foreignKey({ name: 'teams_organization_fk', columns: [t.tenantId, t.organizationId], foreignColumns: [organizations.tenantId, organizations.id] }).onDelete('cascade'),
    foreignKey({ name: 'teams_department_fk', columns: [t.tenantId, t.departmentId], foreignColumns: [departments.tenantId, departments.id] }),
    foreignKey({ name: 'teams_team_lead_fk', columns: [t.tenantId, t.teamLeadId], foreignColumns: [users.tenantId, users.id] }),
    isolatedBy(t.tenantId),
  ],
);

export const featureFlags = pgTable(
  'feature_flags',
  {
    tenantId: text('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    featureKey: text('feature_key').notNull(),
    description: text('description'),
    enabled: boolean('enabled').notNull().default(false),
    rolloutPercentage: integer('rollout_percentage').notNull().default(100),
    /** Empty means every role. */
    targetRoles: text('target_roles').array().notNull().default(sql`'{}'::text[]`),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.featureKey] }),
    check('feature_flags_rollout_range', sql`${t.rolloutPercentage} between 0 and 100`),
    isolatedBy(t.tenantId),
  ],
);

export const settings = pgTable(
  'settings',
  {
    tenantId: text('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    category: text('category').notNull(),
    values: jsonb('values').$type<JsonObject>().notNull().default({}),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.category] }), isolatedBy(t.tenantId)],
);

/**
 * Metered usage per tenant and day, incremented by whatever consumes the quota (the call
 * pipeline counts calls and stored bytes here) and summed by the usage endpoint.
 */
export const tenantUsage = pgTable(
  'tenant_usage',
  {
    tenantId: text('tenant_id').notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    calls: integer('calls').notNull().default(0),
    storageBytes: bigint('storage_bytes', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.day] }), isolatedBy(t.tenantId)],
);

/**
 * Append-only: rows are written by the `audit_row_change` trigger in the same transaction as the
 * change they record (and by services for actions that change no row). The runtime role may
 * insert and read, never update or delete.
 */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: text('tenant_id').notNull(),
    actorId: text('actor_id'),
    actorRole: text('actor_role'),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id'),
    changes: jsonb('changes').$type<JsonObject>(),
    requestId: text('request_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    index('audit_logs_tenant_created').on(t.tenantId, t.createdAt.desc()),
    pgPolicy('tenant_isolation', {
      for: 'all',
      to: appRole,
      using: sql`${t.tenantId} = ${currentTenant} or ${isSuperAdmin}`,
      withCheck: sql`${t.tenantId} = ${currentTenant} or ${isSuperAdmin}`,
    }),
  ],
);
