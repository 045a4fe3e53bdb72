/**
 * The system of record. Every tenant-owned table carries `tenant_id`, has row-level security
 * enabled (forced in migrations/, which drizzle-kit cannot express) and one policy that keys
 * on `current_tenant()`: the tenant of the signed context `set_tenant_context()` verified for
 * this transaction (migrations/0008), which no statement can set by itself. Unique and foreign
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
  numeric,
  pgPolicy,
  pgRole,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** The runtime role: NOBYPASSRLS, owns nothing; created in migrations/ by hand. */
export const appRole = pgRole('qa_app').existing();

// Wrapped in a sub-select so Postgres evaluates each once per statement (an InitPlan), not per row.
const currentTenant = sql`(select current_tenant())`;
const currentRole = sql`(select current_actor_role())`;
const isSuperAdmin = sql`${currentRole} = 'super_admin'`;

/** The one policy every tenant table has: rows of the tenant in context, nothing else. */
function isolatedBy(tenantColumn: AnyPgColumn) {
  const sameTenant = sql`${tenantColumn} = ${currentTenant}`;
  return pgPolicy('tenant_isolation', { for: 'all', to: appRole, using: sameTenant, withCheck: sameTenant });
}

/** In an agent's context, only the agent's own rows; other roles are not narrowed by it. */
const agentsOwn = (agentColumn: AnyPgColumn) =>
  sql`${currentRole} is distinct from 'agent' or ${agentColumn}::text = (select current_actor_id())`;

/** Agents read only their own rows; the database says so, not only the WHERE clause. */
function agentsReadOwn(name: string, agentColumn: AnyPgColumn) {
  return pgPolicy(name, { as: 'restrictive', for: 'select', to: appRole, using: agentsOwn(agentColumn) });
}

/** Agents read and write only their own rows. */
function agentsOwnRows(name: string, agentColumn: AnyPgColumn) {
  const own = agentsOwn(agentColumn);
  return pgPolicy(name, { as: 'restrictive', for: 'all', to: appRole, using: own, withCheck: own });
}

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
};

export const TENANT_TIERS = ['default', 'standard', 'enterprise'] as const;
export const TENANT_STATUSES = ['active', 'suspended'] as const;
export const ROLES = ['super_admin', 'tenant_admin', 'manager', 'agent'] as const;
export const USER_STATUSES = ['active', 'inactive', 'suspended'] as const;

export type TenantLimits = {
  max_users: number;
  max_calls_per_day: number;
  max_storage_gb: number;
  max_upload_mb: number;
};
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
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    industry: text('industry'),
    size: text('size'),
    timezone: text('timezone').notNull().default('UTC'),
    ...timestamps,
  },
  (t) => [
    unique('organizations_tenant_id_id').on(t.tenantId, t.id),
    unique('organizations_tenant_name').on(t.tenantId, t.name),
    isolatedBy(t.tenantId),
  ],
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
    foreignKey({
      name: 'departments_organization_fk',
      columns: [t.tenantId, t.organizationId],
      foreignColumns: [organizations.tenantId, organizations.id],
    }).onDelete('cascade'),
    isolatedBy(t.tenantId),
  ],
);

export const users = pgTable(
  'users',
  {
    /** The Keycloak `sub` of the user in the tenant's realm. */
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
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
    foreignKey({
      name: 'users_organization_fk',
      columns: [t.tenantId, t.organizationId],
      foreignColumns: [organizations.tenantId, organizations.id],
    }),
    foreignKey({
      name: 'users_department_fk',
      columns: [t.tenantId, t.departmentId],
      foreignColumns: [departments.tenantId, departments.id],
    }),
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
    foreignKey({
      name: 'teams_organization_fk',
      columns: [t.tenantId, t.organizationId],
      foreignColumns: [organizations.tenantId, organizations.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'teams_department_fk',
      columns: [t.tenantId, t.departmentId],
      foreignColumns: [departments.tenantId, departments.id],
    }),
    foreignKey({
      name: 'teams_team_lead_fk',
      columns: [t.tenantId, t.teamLeadId],
      foreignColumns: [users.tenantId, users.id],
    }),
    isolatedBy(t.tenantId),
  ],
);

export const featureFlags = pgTable(
  'feature_flags',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    featureKey: text('feature_key').notNull(),
    description: text('description'),
    enabled: boolean('enabled').notNull().default(false),
    rolloutPercentage: integer('rollout_percentage').notNull().default(100),
    /** Empty means every role. */
    targetRoles: text('target_roles')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
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
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
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
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
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
/**
 * The audit trail, written by the `audit_row_change()` trigger (migrations/) in the same
 * transaction as the change. `id` is random so that it says nothing about other tenants; `seq`
 * only orders rows written in the same transaction (which share `created_at`) and is never shown.
 */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    seq: bigserial('seq', { mode: 'number' }).notNull().unique(),
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
    index('audit_logs_tenant_created').on(t.tenantId, t.createdAt.desc(), t.seq.desc()),
    // A super admin reads the trail of the tenant it names, like anyone else; it may still write
    // rows for a tenant it is not in (creating a tenant records the tenant's first rows).
    pgPolicy('tenant_isolation_read', {
      for: 'select',
      to: appRole,
      using: sql`${t.tenantId} = ${currentTenant}`,
    }),
    pgPolicy('tenant_isolation_write', {
      for: 'insert',
      to: appRole,
      withCheck: sql`${t.tenantId} = ${currentTenant} or ${isSuperAdmin}`,
    }),
    // A calibration score's trail is as blind as the score itself: it shows to those who may read
    // the score (its grader; everyone once the session closed), so the trail cannot be used to peek.
    // Insert and delete rows carry the session; a deleted score of a closed session stays readable.
    pgPolicy('calibration_scores_blind', {
      as: 'restrictive',
      for: 'select',
      to: appRole,
      using: sql`case when ${t.entityType} = 'calibration_scores'
        then exists (select 1 from calibration_scores s where s.id = ${t.entityId}::uuid)
          or exists (select 1 from calibration_sessions s where s.id = (${t.changes} ->> 'session_id')::uuid and s.status = 'closed')
        else true end`,
    }),
  ],
);

// ---- evaluation criteria ---------------------------------------------------------------------

export const CALL_STATUSES = [
  'uploaded',
  'queued',
  'transcribing',
  'transcribed',
  'evaluating',
  /** Scored by the model for a set in `ai_review`, or waiting to be scored by hand (`manual`). */
  'awaiting_review',
  'completed',
  'failed',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/**
 * A tenant's criteria. `version` goes up on every change and each version is kept in
 * `criterion_versions` (trigger), so an evaluation can always show what it was scored against.
 */
export const evaluationCriteria = pgTable(
  'evaluation_criteria',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    category: text('category').notNull(),
    maxPoints: integer('max_points').notNull(),
    evaluationPrompts: text('evaluation_prompts')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    autoFail: boolean('auto_fail').notNull().default(false),
    templateKey: text('template_key'),
    isActive: boolean('is_active').notNull().default(true),
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    unique('evaluation_criteria_tenant_id_id').on(t.tenantId, t.id),
    unique('evaluation_criteria_tenant_name').on(t.tenantId, t.name),
    check('evaluation_criteria_points', sql`${t.maxPoints} between 1 and 100`),
    isolatedBy(t.tenantId),
  ],
);

export const criterionVersions = pgTable(
  'criterion_versions',
  {
    tenantId: text('tenant_id').notNull(),
    criterionId: uuid('criterion_id').notNull(),
    version: integer('version').notNull(),
    snapshot: jsonb('snapshot').$type<JsonObject>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.criterionId, t.version] }), isolatedBy(t.tenantId)],
);

/**
 * How a set's calls are scored. `ai_auto`: the model's score is the score of record at once.
 * `ai_review`: the model scores, and the call's agent sees nothing of it until a manager has
 * reviewed it. `manual`: no model call; a manager's review is the scoring.
 */
export const GRADING_MODES = ['ai_auto', 'ai_review', 'manual'] as const;
export type GradingMode = (typeof GRADING_MODES)[number];

/**
 * An ordered list of criteria; one default per tenant. Changing its criteria, name or templates
 * creates a new version; its grading mode applies to the calls scored after the change.
 */
export const criteriaSets = pgTable(
  'criteria_sets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    criteriaIds: uuid('criteria_ids').array().notNull(),
    /** Compliance templates judged with this set; none means the tenant's default templates. */
    complianceTemplateIds: uuid('compliance_template_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    isDefault: boolean('is_default').notNull().default(false),
    gradingMode: text('grading_mode', { enum: GRADING_MODES }).notNull().default('ai_auto'),
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    unique('criteria_sets_tenant_id_id').on(t.tenantId, t.id),
    unique('criteria_sets_tenant_name').on(t.tenantId, t.name),
    uniqueIndex('criteria_sets_one_default')
      .on(t.tenantId)
      .where(sql`${t.isDefault}`),
    check('criteria_sets_grading_mode', sql`${t.gradingMode} in ('ai_auto', 'ai_review', 'manual')`),
    isolatedBy(t.tenantId),
  ],
);

// ---- calls and what the pipeline derives from them --------------------------------------------

export const calls = pgTable(
  'calls',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    agentId: uuid('agent_id'),
    uploadedBy: text('uploaded_by'),
    source: text('source', { enum: ['upload', 'presigned', 'twilio', 'webhook'] }).notNull(),
    direction: text('direction', { enum: ['inbound', 'outbound'] })
      .notNull()
      .default('inbound'),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'string' }),
    externalId: text('external_id'),
    customerNumber: text('customer_number'),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    status: text('status', { enum: CALL_STATUSES }).notNull(),
    failureReason: text('failure_reason'),
    audioKey: text('audio_key').notNull(),
    audioContentType: text('audio_content_type'),
    audioBytes: bigint('audio_bytes', { mode: 'number' }),
    /** 2 for dual-channel recordings (agent and customer on their own channel). */
    audioChannels: integer('audio_channels').notNull().default(1),
    durationSeconds: integer('duration_seconds'),
    criteriaSetId: uuid('criteria_set_id'),
    transcriptId: text('transcript_id'),
    /**
     * The score of record: the current evaluation's effective score (a review's where one exists,
     * else the model's) once released to the agent; null while it waits for review or scoring.
     * Every list, filter and rollup reads this one.
     */
    overallScore: integer('overall_score'),
    statusChangedAt: timestamp('status_changed_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true, mode: 'string' }),
    ...timestamps,
  },
  (t) => [
    unique('calls_tenant_id_id').on(t.tenantId, t.id),
    uniqueIndex('calls_tenant_external')
      .on(t.tenantId, t.source, t.externalId)
      .where(sql`${t.externalId} is not null`),
    index('calls_tenant_started').on(t.tenantId, t.createdAt.desc()),
    index('calls_tenant_agent').on(t.tenantId, t.agentId),
    index('calls_status_changed').on(t.status, t.statusChangedAt),
    foreignKey({
      name: 'calls_agent_fk',
      columns: [t.tenantId, t.agentId],
      foreignColumns: [users.tenantId, users.id],
    }),
    foreignKey({
      name: 'calls_criteria_set_fk',
      columns: [t.tenantId, t.criteriaSetId],
      foreignColumns: [criteriaSets.tenantId, criteriaSets.id],
    }),
    isolatedBy(t.tenantId),
    // Agents see only their own calls; the database says so, not only the WHERE clause.
    agentsReadOwn('agents_own_calls', t.agentId),
  ],
);

export type Utterance = {
  speaker: string;
  role: 'agent' | 'customer' | 'unknown';
  text: string;
  start_ms: number;
  end_ms: number;
  confidence: number;
  sentiment?: string | null;
};

export const transcripts = pgTable(
  'transcripts',
  {
    callId: uuid('call_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    providerId: text('provider_id').notNull(),
    languageCode: text('language_code'),
    text: text('text').notNull(),
    utterances: jsonb('utterances').$type<Utterance[]>().notNull(),
    durationSeconds: integer('duration_seconds'),
    confidence: text('confidence'),
    speakerRoles: jsonb('speaker_roles').$type<Record<string, 'agent' | 'customer'>>().notNull(),
    ...timestamps,
  },
  (t) => [
    foreignKey({
      name: 'transcripts_call_fk',
      columns: [t.tenantId, t.callId],
      foreignColumns: [calls.tenantId, calls.id],
    }).onDelete('cascade'),
    isolatedBy(t.tenantId),
  ],
);

/**
 * One row per scoring of a call. `run_key` makes a pipeline step's evaluation unique however often
 * the step is retried ('pipeline'), and each re-analysis its own ('reanalysis:<uuid>'). The model's
 * result is kept as scored (`overall_score`, `auto_failed`, `results`; null and empty for a manual
 * set, where no model scores); a human review sits beside it in evaluation_reviews, never over it.
 * `current` marks the call's latest scoring. `released_at` says when the call's agent could first
 * see it: at scoring in `ai_auto`, at its first review otherwise; agents never read a row without.
 */
export const evaluations = pgTable(
  'evaluations',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    callId: uuid('call_id').notNull(),
    runKey: text('run_key').notNull(),
    criteriaSetId: uuid('criteria_set_id'),
    criteriaSetVersion: integer('criteria_set_version'),
    criteriaSnapshot: jsonb('criteria_snapshot').$type<JsonObject[]>().notNull(),
    /** The set's grading mode when the call was scored. */
    gradingMode: text('grading_mode', { enum: GRADING_MODES }).notNull().default('ai_auto'),
    overallScore: integer('overall_score'),
    autoFailed: boolean('auto_failed'),
    results: jsonb('results').$type<JsonObject[]>().notNull(),
    compliance: jsonb('compliance').$type<JsonObject[]>().notNull(),
    sentiment: jsonb('sentiment').$type<JsonObject>().notNull(),
    customerBehavior: jsonb('customer_behavior').$type<JsonObject>().notNull(),
    summary: text('summary').notNull(),
    /** The model that scored; null for a manual set. */
    model: text('model'),
    transcriptTruncated: boolean('transcript_truncated').notNull().default(false),
    requestedBy: text('requested_by'),
    current: boolean('current').notNull().default(true),
    /** The evaluate step sets it (or leaves it null) explicitly; the default keeps older writers visible. */
    releasedAt: timestamp('released_at', { withTimezone: true, mode: 'string' }).defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    unique('evaluations_tenant_id_id').on(t.tenantId, t.id),
    unique('evaluations_call_run').on(t.tenantId, t.callId, t.runKey),
    foreignKey({
      name: 'evaluations_call_fk',
      columns: [t.tenantId, t.callId],
      foreignColumns: [calls.tenantId, calls.id],
    }).onDelete('cascade'),
    // The review queue: current scorings that wait for a human, oldest first.
    index('evaluations_waiting')
      .on(t.tenantId, t.createdAt)
      .where(sql`${t.current} and ${t.releasedAt} is null`),
    check('evaluations_grading_mode', sql`${t.gradingMode} in ('ai_auto', 'ai_review', 'manual')`),
    isolatedBy(t.tenantId),
    // An agent reads the evaluations of its own calls (the calls policy decides which), once released.
    pgPolicy('agents_released_evaluations', {
      as: 'restrictive',
      for: 'select',
      to: appRole,
      using: sql`${currentRole} is distinct from 'agent'
        or (${t.releasedAt} is not null and exists (select 1 from calls c where c.id = ${t.callId}))`,
    }),
  ],
);

export const insights = pgTable(
  'insights',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    callId: uuid('call_id').notNull(),
    evaluationId: uuid('evaluation_id').notNull(),
    type: text('type').notNull(),
    category: text('category').notNull(),
    title: text('title').notNull(),
    severity: text('severity', { enum: ['info', 'low', 'medium', 'high', 'critical'] }).notNull(),
    suggestions: text('suggestions')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    index('insights_call').on(t.tenantId, t.callId),
    foreignKey({
      name: 'insights_evaluation_fk',
      columns: [t.tenantId, t.evaluationId],
      foreignColumns: [evaluations.tenantId, evaluations.id],
    }).onDelete('cascade'),
    isolatedBy(t.tenantId),
    // An agent reads the insights of the evaluations it may read (their policy decides which).
    pgPolicy('agents_released_insights', {
      as: 'restrictive',
      for: 'select',
      to: appRole,
      using: sql`${currentRole} is distinct from 'agent'
        or exists (select 1 from evaluations e where e.id = ${t.evaluationId})`,
    }),
  ],
);

/** First answer to a request made with an `Idempotency-Key`, replayed on retries (24 h). */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    tenantId: text('tenant_id').notNull(),
    /** Whose key it is: keys are per caller, so two users of a tenant never share one. */
    actorId: text('actor_id').notNull().default(''),
    key: text('key').notNull(),
    /** The fingerprint of the request that used the key first; the same key with another one is refused. */
    requestHash: text('request_hash').notNull(),
    status: integer('status').notNull(),
    response: jsonb('response').$type<JsonObject>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.actorId, t.key] }), isolatedBy(t.tenantId)],
);

/** Provider event ids already processed, so a replayed webhook is ignored. */
/**
 * Deliveries already processed, for replay protection: generic webhook event ids (`generic`) and
 * signed timestamp + body digests (`generic-digest`), and per Twilio CallSid the highest status
 * SequenceNumber applied (`twilio-call-status`, in `sequence`). The sweeper purges rows older than
 * the longest replay window they guard (migrations: webhook_events purge policies).
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    tenantId: text('tenant_id').notNull(),
    provider: text('provider').notNull(),
    eventId: text('event_id').notNull(),
    sequence: bigint('sequence', { mode: 'number' }),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.provider, t.eventId] }), isolatedBy(t.tenantId)],
);

/**
 * A tenant's telephony integrations. `config` is public (Twilio account SID, agent mapping);
 * `secret` is encrypted with the platform key (AES-GCM) before it reaches the database.
 */
export const tenantIntegrations = pgTable(
  'tenant_integrations',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    provider: text('provider', { enum: ['twilio', 'generic'] }).notNull(),
    config: jsonb('config').$type<JsonObject>().notNull().default({}),
    secretCiphertext: text('secret_ciphertext').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.provider] }), isolatedBy(t.tenantId)],
);

// ---- command center ---------------------------------------------------------------------------

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved', 'dismissed'] as const;
export const ALERT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/**
 * Alerts are recorded here first (audited), then pushed to the tenant's hub. `dedupe_key` makes
 * an automatic alert unique per call and rule however often a pipeline step is retried.
 */
export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    severity: text('severity', { enum: ALERT_SEVERITIES }).notNull(),
    status: text('status', { enum: ALERT_STATUSES }).notNull().default('open'),
    source: text('source', { enum: ['manual', 'pipeline', 'hub', 'telephony'] }).notNull(),
    entityType: text('entity_type'),
    entityId: text('entity_id'),
    agentId: uuid('agent_id'),
    title: text('title').notNull(),
    description: text('description'),
    dedupeKey: text('dedupe_key'),
    createdBy: text('created_by'),
    acknowledgedBy: text('acknowledged_by'),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true, mode: 'string' }),
    resolvedBy: text('resolved_by'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'string' }),
    resolutionNotes: text('resolution_notes'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('alerts_dedupe')
      .on(t.tenantId, t.dedupeKey)
      .where(sql`${t.dedupeKey} is not null`),
    index('alerts_tenant_status').on(t.tenantId, t.status, t.createdAt.desc()),
    isolatedBy(t.tenantId),
  ],
);

/** Each user's command-center layout. */
export const dashboards = pgTable(
  'dashboards',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    widgets: jsonb('widgets').$type<JsonObject[]>().notNull(),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] }), isolatedBy(t.tenantId)],
);

// AI coach: courses, their ordered modules, and the modules' ordered lessons.
export const COURSE_DIFFICULTIES = ['beginner', 'intermediate', 'advanced'] as const;
export const COURSE_STATUSES = ['draft', 'published', 'archived'] as const;
export const COURSE_SOURCES = ['manual', 'generated'] as const;
export const LESSON_TYPES = ['reading', 'example', 'exercise', 'quiz', 'roleplay'] as const;

/** A quote a generated lesson cites: the call it is from, verbatim, with its time when known. */
export type LessonCitation = { call_id: string; quote: string; start_seconds?: number | null };

/** A citation the model gave that was not among the quotes it was sent, so it was not kept. */
export type DroppedCitation = { module: number; lesson: number; call_id: string; quote: string; reason: string };

/**
 * What a generated course was written from; null for a course a manager wrote. Generation also
 * records the evaluations, the weakness areas asked for (or defaulted), the model and the dropped
 * citations; older rows may lack them.
 */
export type CourseGeneratedFrom = {
  agent_id: string;
  call_ids: string[];
  criterion_ids: string[];
  evaluation_ids?: string[];
  weakness_areas?: string[];
  model?: string;
  dropped_citations?: DroppedCitation[];
};

/** A quiz question; `correct` (option indexes) and `explanation` never reach an agent. */
export type QuizQuestion = { prompt: string; options: string[]; correct: number[]; explanation?: string };
export type LessonContent = { markdown: string; questions?: QuizQuestion[]; citations?: LessonCitation[] };

/** An agent reads a module or lesson only of a course it can read (coach_courses' own policies decide). */
function agentsSeeContentOfVisibleCourses(table: string, tenantColumn: AnyPgColumn, courseColumn: AnyPgColumn) {
  return pgPolicy(`${table}_agents_visible_courses`, {
    as: 'restrictive',
    for: 'select',
    to: appRole,
    using: sql`${currentRole} is distinct from 'agent' or exists (select 1 from coach_courses c where c.tenant_id = ${tenantColumn} and c.id = ${courseColumn})`,
  });
}

export const coachCourses = pgTable(
  'coach_courses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description'),
    category: text('category').notNull(),
    difficulty: text('difficulty', { enum: COURSE_DIFFICULTIES }).notNull(),
    skillsCovered: text('skills_covered')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    estimatedHours: numeric('estimated_hours', { precision: 6, scale: 2, mode: 'number' }),
    status: text('status', { enum: COURSE_STATUSES }).notNull().default('draft'),
    source: text('source', { enum: COURSE_SOURCES }).notNull().default('manual'),
    generatedFrom: jsonb('generated_from').$type<CourseGeneratedFrom>(),
    /** Bumped whenever the modules and lessons are replaced. */
    version: integer('version').notNull().default(1),
    createdBy: text('created_by'),
    ...timestamps,
  },
  (t) => [
    unique('coach_courses_tenant_id_id').on(t.tenantId, t.id),
    index('coach_courses_tenant_status').on(t.tenantId, t.status, t.updatedAt.desc()),
    check('coach_courses_difficulty', sql`${t.difficulty} in ('beginner', 'intermediate', 'advanced')`),
    check('coach_courses_status', sql`${t.status} in ('draft', 'published', 'archived')`),
    check(
      'coach_courses_source',
      sql`(${t.source} = 'manual' and ${t.generatedFrom} is null) or (${t.source} = 'generated' and ${t.generatedFrom} is not null)`,
    ),
    check('coach_courses_hours', sql`${t.estimatedHours} is null or ${t.estimatedHours} between 0 and 1000`),
    isolatedBy(t.tenantId),
    // Agents read published courses, and any course they hold a (not cancelled) assignment of;
    // the database says so, not only the WHERE clause.
    pgPolicy('agents_published_courses', {
      as: 'restrictive',
      for: 'select',
      to: appRole,
      using: sql`${currentRole} is distinct from 'agent' or ${t.status} = 'published' or exists (select 1 from coach_assignments a where a.tenant_id = ${t.tenantId} and a.course_id = ${t.id} and a.agent_id::text = (select current_actor_id()) and a.status <> 'cancelled')`,
    }),
  ],
);

export const coachModules = pgTable(
  'coach_modules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    courseId: uuid('course_id').notNull(),
    position: integer('position').notNull(),
    title: text('title').notNull(),
    description: text('description'),
    ...timestamps,
  },
  (t) => [
    unique('coach_modules_tenant_id_id').on(t.tenantId, t.id),
    // Lessons name their course too, and this key makes the database hold them to it.
    unique('coach_modules_tenant_course_id').on(t.tenantId, t.courseId, t.id),
    unique('coach_modules_position').on(t.tenantId, t.courseId, t.position),
    foreignKey({
      name: 'coach_modules_course_fk',
      columns: [t.tenantId, t.courseId],
      foreignColumns: [coachCourses.tenantId, coachCourses.id],
    }).onDelete('cascade'),
    isolatedBy(t.tenantId),
    agentsSeeContentOfVisibleCourses('coach_modules', t.tenantId, t.courseId),
  ],
);

export const coachLessons = pgTable(
  'coach_lessons',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    courseId: uuid('course_id').notNull(),
    moduleId: uuid('module_id').notNull(),
    position: integer('position').notNull(),
    title: text('title').notNull(),
    type: text('type', { enum: LESSON_TYPES }).notNull(),
    content: jsonb('content').$type<LessonContent>().notNull(),
    estimatedMinutes: integer('estimated_minutes'),
    ...timestamps,
  },
  (t) => [
    unique('coach_lessons_position').on(t.tenantId, t.moduleId, t.position),
    // Progress names course, module and lesson; this key holds all three together.
    unique('coach_lessons_tenant_course_module_id').on(t.tenantId, t.courseId, t.moduleId, t.id),
    index('coach_lessons_course').on(t.tenantId, t.courseId),
    foreignKey({
      name: 'coach_lessons_module_fk',
      columns: [t.tenantId, t.courseId, t.moduleId],
      foreignColumns: [coachModules.tenantId, coachModules.courseId, coachModules.id],
    }).onDelete('cascade'),
    check('coach_lessons_type', sql`${t.type} in ('reading', 'example', 'exercise', 'quiz', 'roleplay')`),
    isolatedBy(t.tenantId),
    agentsSeeContentOfVisibleCourses('coach_lessons', t.tenantId, t.courseId),
  ],
);

// ---- criterion results: one row per scored criterion, the shape coaching and analytics read ----

/**
 * Every criterion of every evaluation as a row, written by the statement that records the
 * evaluation (pipeline/steps.ts). `current` marks the call's latest scoring: a re-analysis writes
 * its rows and retires the previous ones in the same statement, so readers never see both.
 * `criterion_id` is the criterion's uuid, or a platform template key for tenants without criteria.
 *
 * `score`, `passed` and `auto_failed` are the model's and never change (null for a manual set).
 * The `effective_*` columns are the values in force: the model's (a trigger copies them on
 * insert), replaced by a human's when a review or a resolved dispute scores the criterion
 * (services/reviews). Coaching, analytics and reports read the effective values, and only rows
 * that are `released` (the evaluation is visible to the agent), so a score waiting for review
 * counts nowhere yet.
 */
export const criterionResults = pgTable(
  'criterion_results',
  {
    tenantId: text('tenant_id').notNull(),
    evaluationId: uuid('evaluation_id').notNull(),
    callId: uuid('call_id').notNull(),
    agentId: uuid('agent_id'),
    criterionId: text('criterion_id').notNull(),
    criterionName: text('criterion_name').notNull(),
    category: text('category').notNull(),
    score: integer('score'),
    maxPoints: integer('max_points').notNull(),
    passed: boolean('passed'),
    /** The model triggered this auto-fail criterion (false for a criterion that is not one). */
    autoFailed: boolean('auto_failed'),
    effectiveScore: integer('effective_score'),
    effectivePassed: boolean('effective_passed'),
    effectiveAutoFailed: boolean('effective_auto_failed'),
    released: boolean('released').notNull().default(true),
    scoredAt: timestamp('scored_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    current: boolean('current').notNull().default(true),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.evaluationId, t.criterionId] }),
    foreignKey({
      name: 'criterion_results_evaluation_fk',
      columns: [t.tenantId, t.evaluationId],
      foreignColumns: [evaluations.tenantId, evaluations.id],
    }).onDelete('cascade'),
    // An agent's history per criterion, newest first: skill gaps, consecutive fails, rule checks.
    // The migration adds INCLUDE (effective_score, max_points, effective_passed), so those reads are index-only.
    index('criterion_results_agent')
      .on(t.tenantId, t.agentId, t.criterionId, t.scoredAt.desc())
      .where(sql`${t.current} and ${t.released}`),
    // The team's and tenant's figures beside the agent's.
    index('criterion_results_tenant')
      .on(t.tenantId, t.scoredAt.desc())
      .where(sql`${t.current} and ${t.released}`),
    index('criterion_results_call').on(t.tenantId, t.callId),
    check('criterion_results_points', sql`${t.score} between 0 and ${t.maxPoints}`),
    check('criterion_results_effective_points', sql`${t.effectiveScore} between 0 and ${t.maxPoints}`),
    check(
      'criterion_results_released_scored',
      sql`not ${t.released} or (${t.effectiveScore} is not null and ${t.effectivePassed} is not null)`,
    ),
    isolatedBy(t.tenantId),
    agentsReadOwn('agents_own_results', t.agentId),
    // An agent reads a result once its evaluation is released to it.
    pgPolicy('agents_released_results', {
      as: 'restrictive',
      for: 'select',
      to: appRole,
      using: sql`${currentRole} is distinct from 'agent' or ${t.released}`,
    }),
  ],
);

// ---- human review: beside the model's result, never over it -----------------------------------

export const REVIEW_SOURCES = ['review', 'dispute'] as const;
export type ReviewSource = (typeof REVIEW_SOURCES)[number];

/** The policy of the review tables: managers write; an agent reads its own calls' reviews, of released evaluations. */
function agentsReadReleasedReviews(agentColumn: AnyPgColumn, evaluationColumn: AnyPgColumn) {
  const notAgent = sql`${currentRole} is distinct from 'agent'`;
  return pgPolicy('agents_read_released_reviews', {
    as: 'restrictive',
    for: 'all',
    to: appRole,
    using: sql`${notAgent} or (${agentColumn}::text = (select current_actor_id())
      and exists (select 1 from evaluations e where e.id = ${evaluationColumn}))`,
    withCheck: notAgent,
  });
}

/**
 * A human review of one evaluation (at most one per evaluation; a newer evaluation of the call is
 * unreviewed again). It holds the effective overall score and auto-fail, computed from its items
 * and the model's results for the criteria it leaves alone, by the formula the evaluate step uses
 * (`qa_overall_score`, migrations). Audited on every change, as are its items.
 */
export const evaluationReviews = pgTable(
  'evaluation_reviews',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    evaluationId: uuid('evaluation_id').notNull(),
    callId: uuid('call_id').notNull(),
    /** The call's agent, copied so the agents' policy needs no join. */
    agentId: uuid('agent_id'),
    overallScore: integer('overall_score').notNull(),
    autoFailed: boolean('auto_failed').notNull(),
    comment: text('comment'),
    createdBy: text('created_by').notNull(),
    updatedBy: text('updated_by').notNull(),
    ...timestamps,
  },
  (t) => [
    unique('evaluation_reviews_tenant_id_id').on(t.tenantId, t.id),
    unique('evaluation_reviews_evaluation').on(t.tenantId, t.evaluationId),
    index('evaluation_reviews_updated').on(t.tenantId, t.updatedAt.desc()),
    foreignKey({
      name: 'evaluation_reviews_evaluation_fk',
      columns: [t.tenantId, t.evaluationId],
      foreignColumns: [evaluations.tenantId, evaluations.id],
    }).onDelete('cascade'),
    check('evaluation_reviews_score', sql`${t.overallScore} between 0 and 100`),
    isolatedBy(t.tenantId),
    agentsReadReleasedReviews(t.agentId, t.evaluationId),
  ],
);

/**
 * The human value in force for one criterion of a reviewed evaluation. `source` says what set it:
 * a manager's review, or a resolved dispute (`source_id` then names the dispute); what it replaced
 * stays in the audit trail. `max_points` is the criterion's as it was scored (the evaluation's
 * criteria snapshot), which bounds `score`.
 */
export const evaluationReviewItems = pgTable(
  'evaluation_review_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    reviewId: uuid('review_id').notNull(),
    evaluationId: uuid('evaluation_id').notNull(),
    callId: uuid('call_id').notNull(),
    agentId: uuid('agent_id'),
    criterionId: text('criterion_id').notNull(),
    maxPoints: integer('max_points').notNull(),
    score: integer('score').notNull(),
    passed: boolean('passed').notNull(),
    autoFailed: boolean('auto_failed').notNull(),
    comment: text('comment'),
    /** The reviewer took the model's result as it is. */
    confirmed: boolean('confirmed').notNull().default(false),
    source: text('source', { enum: REVIEW_SOURCES }).notNull(),
    sourceId: uuid('source_id'),
    reviewedBy: text('reviewed_by').notNull(),
    ...timestamps,
  },
  (t) => [
    unique('evaluation_review_items_criterion').on(t.tenantId, t.evaluationId, t.criterionId),
    index('evaluation_review_items_review').on(t.tenantId, t.reviewId),
    foreignKey({
      name: 'evaluation_review_items_review_fk',
      columns: [t.tenantId, t.reviewId],
      foreignColumns: [evaluationReviews.tenantId, evaluationReviews.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'evaluation_review_items_result_fk',
      columns: [t.tenantId, t.evaluationId, t.criterionId],
      foreignColumns: [criterionResults.tenantId, criterionResults.evaluationId, criterionResults.criterionId],
    }).onDelete('cascade'),
    check('evaluation_review_items_points', sql`${t.score} between 0 and ${t.maxPoints}`),
    check('evaluation_review_items_source', sql`${t.source} in ('review', 'dispute')`),
    isolatedBy(t.tenantId),
    agentsReadReleasedReviews(t.agentId, t.evaluationId),
  ],
);

// ---- AI coach: assignments, per-lesson progress, coaching rules ---------------------------------

export const ASSIGNMENT_PRIORITIES = ['low', 'normal', 'high'] as const;
export const ASSIGNMENT_REASONS = ['manual', 'rule', 'generated'] as const;
/** Stored states; `overdue` is derived on read (an open assignment past its due date). */
export const ASSIGNMENT_STATES = ['assigned', 'in_progress', 'completed', 'cancelled'] as const;
export const OPEN_ASSIGNMENT_STATES = ['assigned', 'in_progress'] as const;
export const PROGRESS_STATUSES = ['not_started', 'in_progress', 'completed'] as const;
export const PROGRESS_SUCCESS = ['passed', 'failed'] as const;

export const coachAssignments = pgTable(
  'coach_assignments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    courseId: uuid('course_id').notNull(),
    /** The course version assigned; content replacement is refused while assignments exist. */
    courseVersion: integer('course_version').notNull(),
    agentId: uuid('agent_id').notNull(),
    /** The manager who assigned it; null when a coaching rule did. */
    assignedBy: text('assigned_by'),
    dueDate: date('due_date', { mode: 'string' }),
    priority: text('priority', { enum: ASSIGNMENT_PRIORITIES }).notNull().default('normal'),
    reason: text('reason', { enum: ASSIGNMENT_REASONS }).notNull().default('manual'),
    ruleId: uuid('rule_id'),
    /** The evaluations that made a rule fire (reason `rule` or `generated`). */
    triggerEvaluationIds: uuid('trigger_evaluation_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    status: text('status', { enum: ASSIGNMENT_STATES }).notNull().default('assigned'),
    /** Rolled up from the lessons: share of lessons completed, 0..1. */
    progress: numeric('progress', { precision: 5, scale: 4, mode: 'number' }).notNull().default(0),
    /** Mean scaled score (0..1) of the course's quizzes, once any is submitted. */
    scoreScaled: numeric('score_scaled', { precision: 5, scale: 4, mode: 'number' }),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'string' }),
    completedAt: timestamp('completed_at', { withTimezone: true, mode: 'string' }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true, mode: 'string' }),
    ...timestamps,
  },
  (t) => [
    unique('coach_assignments_tenant_id_id').on(t.tenantId, t.id),
    unique('coach_assignments_tenant_id_agent').on(t.tenantId, t.id, t.agentId),
    // At most one open assignment per agent and course, whoever races to create it.
    uniqueIndex('coach_assignments_one_open')
      .on(t.tenantId, t.agentId, t.courseId)
      .where(sql`${t.status} in ('assigned', 'in_progress')`),
    index('coach_assignments_agent').on(t.tenantId, t.agentId, t.status),
    index('coach_assignments_course').on(t.tenantId, t.courseId),
    foreignKey({
      name: 'coach_assignments_course_fk',
      columns: [t.tenantId, t.courseId],
      foreignColumns: [coachCourses.tenantId, coachCourses.id],
    }),
    foreignKey({
      name: 'coach_assignments_agent_fk',
      columns: [t.tenantId, t.agentId],
      foreignColumns: [users.tenantId, users.id],
    }),
    check('coach_assignments_status', sql`${t.status} in ('assigned', 'in_progress', 'completed', 'cancelled')`),
    check('coach_assignments_priority', sql`${t.priority} in ('low', 'normal', 'high')`),
    check('coach_assignments_reason', sql`${t.reason} in ('manual', 'rule', 'generated')`),
    check('coach_assignments_progress', sql`${t.progress} between 0 and 1`),
    check('coach_assignments_completed', sql`(${t.status} = 'completed') = (${t.completedAt} is not null)`),
    isolatedBy(t.tenantId),
    agentsOwnRows('agents_own_assignments', t.agentId),
  ],
);

/**
 * Per assignment and lesson, after xAPI's split: `status` says whether it was completed,
 * `success` whether it was passed; neither implies the other. `score_scaled` is 0..1.
 */
export const coachProgress = pgTable(
  'coach_progress',
  {
    tenantId: text('tenant_id').notNull(),
    assignmentId: uuid('assignment_id').notNull(),
    /** Copied from the assignment (and held to it by the key) so the agents' policy needs no join. */
    agentId: uuid('agent_id').notNull(),
    courseId: uuid('course_id').notNull(),
    moduleId: uuid('module_id').notNull(),
    lessonId: uuid('lesson_id').notNull(),
    status: text('status', { enum: PROGRESS_STATUSES }).notNull().default('not_started'),
    progress: numeric('progress', { precision: 5, scale: 4, mode: 'number' }).notNull().default(0),
    scoreScaled: numeric('score_scaled', { precision: 5, scale: 4, mode: 'number' }),
    success: text('success', { enum: PROGRESS_SUCCESS }),
    attempts: integer('attempts').notNull().default(0),
    timeSpentSeconds: integer('time_spent_seconds').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'string' }),
    completedAt: timestamp('completed_at', { withTimezone: true, mode: 'string' }),
    ...timestamps,
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.assignmentId, t.lessonId] }),
    foreignKey({
      name: 'coach_progress_assignment_fk',
      columns: [t.tenantId, t.assignmentId, t.agentId],
      foreignColumns: [coachAssignments.tenantId, coachAssignments.id, coachAssignments.agentId],
    }).onDelete('cascade'),
    // No cascade: a lesson with progress cannot disappear under it.
    foreignKey({
      name: 'coach_progress_lesson_fk',
      columns: [t.tenantId, t.courseId, t.moduleId, t.lessonId],
      foreignColumns: [coachLessons.tenantId, coachLessons.courseId, coachLessons.moduleId, coachLessons.id],
    }),
    check('coach_progress_status', sql`${t.status} in ('not_started', 'in_progress', 'completed')`),
    check('coach_progress_success', sql`${t.success} is null or ${t.success} in ('passed', 'failed')`),
    check(
      'coach_progress_range',
      sql`${t.progress} between 0 and 1 and (${t.scoreScaled} is null or ${t.scoreScaled} between 0 and 1)`,
    ),
    check('coach_progress_counters', sql`${t.attempts} >= 0 and ${t.timeSpentSeconds} >= 0`),
    isolatedBy(t.tenantId),
    agentsOwnRows('agents_own_progress', t.agentId),
  ],
);

export const RULE_CONDITIONS = ['consecutive_fails', 'average_below'] as const;
export const RULE_ACTIONS = ['assign_course', 'generate_course'] as const;

/**
 * When a criterion keeps failing for an agent, assign a course (or generate one). `consecutive_fails`
 * fires on the agent's last `fail_count` current results of the criterion all failing;
 * `average_below` on the mean percentage of max points over the last `window_days` falling below
 * `threshold_pct` (with at least `min_evaluations` results).
 */
export const coachRules = pgTable(
  'coach_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    criterionId: text('criterion_id').notNull(),
    condition: text('condition', { enum: RULE_CONDITIONS }).notNull(),
    failCount: integer('fail_count'),
    thresholdPct: integer('threshold_pct'),
    windowDays: integer('window_days'),
    minEvaluations: integer('min_evaluations'),
    action: text('action', { enum: RULE_ACTIONS }).notNull(),
    courseId: uuid('course_id'),
    cooldownDays: integer('cooldown_days').notNull().default(14),
    dueInDays: integer('due_in_days').notNull().default(14),
    priority: text('priority', { enum: ASSIGNMENT_PRIORITIES }).notNull().default('normal'),
    enabled: boolean('enabled').notNull().default(true),
    createdBy: text('created_by'),
    ...timestamps,
  },
  (t) => [
    unique('coach_rules_tenant_id_id').on(t.tenantId, t.id),
    unique('coach_rules_tenant_name').on(t.tenantId, t.name),
    index('coach_rules_tenant_criterion')
      .on(t.tenantId, t.criterionId)
      .where(sql`${t.enabled}`),
    foreignKey({
      name: 'coach_rules_course_fk',
      columns: [t.tenantId, t.courseId],
      foreignColumns: [coachCourses.tenantId, coachCourses.id],
    }),
    check(
      'coach_rules_condition',
      sql`(${t.condition} = 'consecutive_fails' and ${t.failCount} between 1 and 50)
       or (${t.condition} = 'average_below' and ${t.thresholdPct} between 1 and 100 and ${t.windowDays} between 1 and 365
           and ${t.minEvaluations} between 1 and 1000)`,
    ),
    check(
      'coach_rules_action',
      sql`(${t.action} = 'assign_course' and ${t.courseId} is not null) or (${t.action} = 'generate_course' and ${t.courseId} is null)`,
    ),
    check('coach_rules_days', sql`${t.cooldownDays} between 0 and 365 and ${t.dueInDays} between 1 and 365`),
    isolatedBy(t.tenantId),
  ],
);

/**
 * One row per rule, agent and triggering evaluation: the key that makes a rule fire exactly once
 * however often the pipeline step runs. `outcome` says what the firing did.
 */
export const coachRuleFirings = pgTable(
  'coach_rule_firings',
  {
    tenantId: text('tenant_id').notNull(),
    ruleId: uuid('rule_id').notNull(),
    agentId: uuid('agent_id').notNull(),
    evaluationId: uuid('evaluation_id').notNull(),
    outcome: text('outcome', { enum: ['assigned', 'already_assigned', 'generation_queued'] }).notNull(),
    assignmentId: uuid('assignment_id'),
    firedAt: timestamp('fired_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.ruleId, t.agentId, t.evaluationId] }),
    // The cooldown reads the latest firing per rule and agent.
    index('coach_rule_firings_cooldown').on(t.tenantId, t.ruleId, t.agentId, t.firedAt.desc()),
    foreignKey({
      name: 'coach_rule_firings_assignment_fk',
      columns: [t.tenantId, t.assignmentId],
      foreignColumns: [coachAssignments.tenantId, coachAssignments.id],
    }),
    foreignKey({
      name: 'coach_rule_firings_rule_fk',
      columns: [t.tenantId, t.ruleId],
      foreignColumns: [coachRules.tenantId, coachRules.id],
    }).onDelete('cascade'),
    isolatedBy(t.tenantId),
  ],
);

// ---- analytics rollups: what the dashboards read, written beside the facts they count --------

/** Stands in for "no agent" in rollup keys, which cannot hold a null. */
export const NO_AGENT = '00000000-0000-0000-0000-000000000000';

/**
 * What one call contributes to the daily rollups, as it was last counted. Every writer moves a
 * call's contribution from this row to its new one (subtract old, add new) in the statement that
 * changes the call, so a re-analysis, a failure or a delete is counted exactly once, and a later
 * change of time zone or passing score cannot make the subtraction miss. `day` is the call's day
 * in its time zone (`analytics_day()`, migrations/0014), fixed when the call is first counted.
 */
export const analyticsCallFacts = pgTable(
  'analytics_call_facts',
  {
    tenantId: text('tenant_id').notNull(),
    callId: uuid('call_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    /** The call's agent, or NO_AGENT. */
    agentId: uuid('agent_id').notNull(),
    scored: boolean('scored').notNull().default(false),
    failed: boolean('failed').notNull().default(false),
    score: integer('score'),
    passed: boolean('passed').notNull().default(false),
    autoFailed: boolean('auto_failed').notNull().default(false),
    compliant: boolean('compliant').notNull().default(false),
    sentiment: text('sentiment'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.callId] }),
    // Reports page through a period's calls in day order.
    index('analytics_call_facts_day').on(t.tenantId, t.day, t.callId),
    foreignKey({
      name: 'analytics_call_facts_call_fk',
      columns: [t.tenantId, t.callId],
      foreignColumns: [calls.tenantId, calls.id],
    }).onDelete('cascade'),
    isolatedBy(t.tenantId),
    agentsReadOwn('agents_own_facts', t.agentId),
  ],
);

const counter = (name: string) => integer(name).notNull().default(0);

/**
 * Call-level figures per tenant, day (the call's day, see analytics_call_facts) and agent. Reads sum
 * days × agents rows, whatever the number of calls. `passed`: scored, not auto-failed, and an
 * overall score at or above the tenant's `qa.passing_score` (70 when unset) at scoring time.
 */
export const analyticsDaily = pgTable(
  'analytics_daily',
  {
    tenantId: text('tenant_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    agentId: uuid('agent_id').notNull(),
    received: counter('received'),
    scored: counter('scored'),
    failed: counter('failed'),
    scoreSum: bigint('score_sum', { mode: 'number' }).notNull().default(0),
    passed: counter('passed'),
    autoFailed: counter('auto_failed'),
    compliant: counter('compliant'),
    sentimentPositive: counter('sentiment_positive'),
    sentimentNeutral: counter('sentiment_neutral'),
    sentimentNegative: counter('sentiment_negative'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.day, t.agentId] }),
    index('analytics_daily_agent').on(t.tenantId, t.agentId, t.day),
    isolatedBy(t.tenantId),
    agentsReadOwn('agents_own_daily', t.agentId),
  ],
);

/** Criterion-level figures per tenant, day, agent and criterion: the calls' current criterion results. */
export const analyticsDailyCriteria = pgTable(
  'analytics_daily_criteria',
  {
    tenantId: text('tenant_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    agentId: uuid('agent_id').notNull(),
    criterionId: text('criterion_id').notNull(),
    /** The name it was last scored under. */
    criterionName: text('criterion_name').notNull(),
    n: counter('n'),
    points: bigint('points', { mode: 'number' }).notNull().default(0),
    maxPoints: bigint('max_points', { mode: 'number' }).notNull().default(0),
    passed: counter('passed'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.day, t.agentId, t.criterionId] }),
    index('analytics_daily_criteria_agent').on(t.tenantId, t.agentId, t.day),
    isolatedBy(t.tenantId),
    agentsReadOwn('agents_own_daily_criteria', t.agentId),
  ],
);

/**
 * Compliance figures per tenant, day, agent and requirement: how often it was judged (met or not
 * met; not applicable is not counted) and violated. A templated requirement is keyed
 * `<template id>/<requirement key>`, a free-form one by its text. Moved like the criteria: from the
 * call's previous current evaluation to its new one, in the statement that records it.
 */
export const analyticsDailyRequirements = pgTable(
  'analytics_daily_requirements',
  {
    tenantId: text('tenant_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    agentId: uuid('agent_id').notNull(),
    requirementId: text('requirement_id').notNull(),
    /** The requirement's text (or title) as last judged. */
    requirement: text('requirement').notNull(),
    severity: text('severity'),
    checked: counter('checked'),
    violations: counter('violations'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.day, t.agentId, t.requirementId] }),
    index('analytics_daily_requirements_agent').on(t.tenantId, t.agentId, t.day),
    isolatedBy(t.tenantId),
    agentsReadOwn('agents_own_daily_requirements', t.agentId),
  ],
);

// ---- compliance templates: versioned requirements judged in the evaluate step -----------------

export const REGULATION_TYPES = ['PCI_DSS', 'HIPAA', 'GDPR', 'TCPA', 'FDCPA', 'CUSTOM'] as const;
export const REQUIREMENT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type RegulationType = (typeof REGULATION_TYPES)[number];
export type RequirementSeverity = (typeof REQUIREMENT_SEVERITIES)[number];

/** One requirement as the model judges it; `key` is stable across versions of its template. */
export type ComplianceRequirement = {
  key: string;
  title: string | null;
  text: string;
  severity: RequirementSeverity;
  must_say: string[];
  must_not_say: string[];
};

/**
 * A tenant's compliance template. Requirements live in the row (they are always read and replaced
 * together); `version` goes up on every content change and each version is kept in
 * `compliance_template_versions` (trigger), so an evaluation can show the requirement it was
 * judged against. `source_key` names the platform template it was copied from.
 */
export const complianceTemplates = pgTable(
  'compliance_templates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    regulationType: text('regulation_type', { enum: REGULATION_TYPES }).notNull(),
    description: text('description'),
    requirements: jsonb('requirements').$type<ComplianceRequirement[]>().notNull(),
    sourceKey: text('source_key'),
    /** Judged on calls whose criteria set names no templates. */
    isDefault: boolean('is_default').notNull().default(false),
    version: integer('version').notNull().default(1),
    createdBy: text('created_by'),
    ...timestamps,
  },
  (t) => [
    unique('compliance_templates_tenant_id_id').on(t.tenantId, t.id),
    unique('compliance_templates_tenant_name').on(t.tenantId, t.name),
    check(
      'compliance_templates_regulation',
      sql`${t.regulationType} in ('PCI_DSS', 'HIPAA', 'GDPR', 'TCPA', 'FDCPA', 'CUSTOM')`,
    ),
    check(
      'compliance_templates_requirements',
      sql`jsonb_typeof(${t.requirements}) = 'array' and jsonb_array_length(${t.requirements}) between 1 and 50`,
    ),
    isolatedBy(t.tenantId),
  ],
);

/** Every content version of a template; kept after the template is deleted, like criterion_versions. */
export const complianceTemplateVersions = pgTable(
  'compliance_template_versions',
  {
    tenantId: text('tenant_id').notNull(),
    templateId: uuid('template_id').notNull(),
    version: integer('version').notNull(),
    snapshot: jsonb('snapshot').$type<JsonObject>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.templateId, t.version] }), isolatedBy(t.tenantId)],
);

// ---- reports: files generated in the background, schedules, the emails that announce them -----

export const REPORT_TYPES = ['call_scores', 'agent_performance', 'compliance', 'coaching_progress'] as const;
export const REPORT_FORMATS = ['csv', 'xlsx', 'pdf'] as const;
export const REPORT_STATUSES = ['queued', 'generating', 'ready', 'failed', 'expired'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];
export type ReportFormat = (typeof REPORT_FORMATS)[number];
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** What a report covers, as stored: the period resolved to dates in the tenant's time zone. */
export type ReportFilters = {
  from: string;
  to: string;
  team_id?: string;
  department_id?: string;
  agent_id?: string;
  criteria_set_id?: string;
};

/**
 * A schedule runs `type` on `schedule` (five-field cron in the tenant's time zone). The cron
 * trigger claims a due schedule by moving `next_run_at` on with a conditional update, so two
 * triggers never both run it; `paused_reason` set means it does not run.
 */
export const reportSchedules = pgTable(
  'report_schedules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    type: text('type', { enum: REPORT_TYPES }).notNull(),
    format: text('format', { enum: REPORT_FORMATS }).notNull(),
    /** Filters without the period: each run covers the period `period_days` before it. */
    filters: jsonb('filters').$type<Omit<ReportFilters, 'from' | 'to'>>().notNull().default({}),
    periodDays: integer('period_days').notNull().default(7),
    schedule: text('schedule').notNull(),
    recipients: text('recipients').array().notNull(),
    nextRunAt: timestamp('next_run_at', { withTimezone: true, mode: 'string' }).notNull(),
    lastRunAt: timestamp('last_run_at', { withTimezone: true, mode: 'string' }),
    pausedReason: text('paused_reason'),
    createdBy: text('created_by'),
    ...timestamps,
  },
  (t) => [
    unique('report_schedules_tenant_id_id').on(t.tenantId, t.id),
    unique('report_schedules_tenant_name').on(t.tenantId, t.name),
    // What the cron trigger looks for: unpaused schedules by due time, across tenants.
    index('report_schedules_due')
      .on(t.nextRunAt)
      .where(sql`${t.pausedReason} is null`),
    check(
      'report_schedules_type',
      sql`${t.type} in ('call_scores', 'agent_performance', 'compliance', 'coaching_progress')`,
    ),
    check('report_schedules_format', sql`${t.format} in ('csv', 'xlsx', 'pdf')`),
    check('report_schedules_period', sql`${t.periodDays} between 1 and 366`),
    check('report_schedules_recipients', sql`cardinality(${t.recipients}) between 1 and 50`),
    isolatedBy(t.tenantId),
  ],
);

/**
 * One generated (or generating) report. The file lives in R2 under `object_key` once `ready`,
 * until `expires_at`, when the sweeper deletes it and the row says `expired`. Agents see only
 * reports they asked for.
 */
export const reports = pgTable(
  'reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    type: text('type', { enum: REPORT_TYPES }).notNull(),
    format: text('format', { enum: REPORT_FORMATS }).notNull(),
    filters: jsonb('filters').$type<ReportFilters>().notNull(),
    status: text('status', { enum: REPORT_STATUSES }).notNull().default('queued'),
    failureReason: text('failure_reason'),
    /** The user who asked, or `system:scheduler` for a scheduled run. */
    requestedBy: text('requested_by').notNull(),
    scheduleId: uuid('schedule_id'),
    /** The scheduled run this report is; one report per schedule and run. */
    scheduledFor: timestamp('scheduled_for', { withTimezone: true, mode: 'string' }),
    objectKey: text('object_key'),
    filename: text('filename'),
    contentType: text('content_type'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    rowCount: integer('row_count'),
    attempts: integer('attempts').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'string' }),
    completedAt: timestamp('completed_at', { withTimezone: true, mode: 'string' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'string' }),
    ...timestamps,
  },
  (t) => [
    unique('reports_tenant_id_id').on(t.tenantId, t.id),
    uniqueIndex('reports_schedule_run')
      .on(t.tenantId, t.scheduleId, t.scheduledFor)
      .where(sql`${t.scheduleId} is not null`),
    index('reports_tenant_created').on(t.tenantId, t.createdAt.desc()),
    // The expiry sweep: ready files past their time, across tenants.
    index('reports_expiry')
      .on(t.expiresAt)
      .where(sql`${t.status} = 'ready'`),
    foreignKey({
      name: 'reports_schedule_fk',
      columns: [t.tenantId, t.scheduleId],
      foreignColumns: [reportSchedules.tenantId, reportSchedules.id],
    }).onDelete('set null'),
    check('reports_type', sql`${t.type} in ('call_scores', 'agent_performance', 'compliance', 'coaching_progress')`),
    check('reports_format', sql`${t.format} in ('csv', 'xlsx', 'pdf')`),
    check('reports_status', sql`${t.status} in ('queued', 'generating', 'ready', 'failed', 'expired')`),
    isolatedBy(t.tenantId),
    agentsOwnRows('agents_own_reports', t.requestedBy),
  ],
);

/**
 * One row per report and recipient, written before the email is sent: a retried message or a
 * second trigger finds it and does not send again. `sent_at` null means the send did not finish
 * and may be retried (with the same provider idempotency key).
 */
export const reportDeliveries = pgTable(
  'report_deliveries',
  {
    tenantId: text('tenant_id').notNull(),
    reportId: uuid('report_id').notNull(),
    recipient: text('recipient').notNull(),
    messageId: text('message_id'),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'string' }),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.reportId, t.recipient] }),
    foreignKey({
      name: 'report_deliveries_report_fk',
      columns: [t.tenantId, t.reportId],
      foreignColumns: [reports.tenantId, reports.id],
    }).onDelete('cascade'),
    isolatedBy(t.tenantId),
  ],
);

// ---- calibration: several graders score the same calls blind, then compare -------------------

export const CALIBRATION_STATUSES = ['open', 'closed'] as const;

/** Calibration is a managers' exercise: agents see none of it, in the database too. */
const notForAgents = (name: string) =>
  pgPolicy(name, {
    as: 'restrictive',
    for: 'all',
    to: appRole,
    using: sql`${currentRole} is distinct from 'agent'`,
    withCheck: sql`${currentRole} is distinct from 'agent'`,
  });

const isSessionOpen = (tenantColumn: AnyPgColumn, sessionColumn: AnyPgColumn) =>
  sql`exists (select 1 from calibration_sessions s where s.tenant_id = ${tenantColumn} and s.id = ${sessionColumn} and s.status = 'open')`;

/**
 * A calibration session: calls and graders (managers and tenant admins of the tenant). `open`
 * while graders score; `closed` is final. Only the creator or a tenant admin closes it.
 */
export const calibrationSessions = pgTable(
  'calibration_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    status: text('status', { enum: CALIBRATION_STATUSES }).notNull().default('open'),
    createdBy: text('created_by').notNull(),
    closedBy: text('closed_by'),
    closedAt: timestamp('closed_at', { withTimezone: true, mode: 'string' }),
    ...timestamps,
  },
  (t) => [
    unique('calibration_sessions_tenant_id_id').on(t.tenantId, t.id),
    index('calibration_sessions_tenant_status').on(t.tenantId, t.status, t.createdAt.desc()),
    check('calibration_sessions_status', sql`${t.status} in ('open', 'closed')`),
    check(
      'calibration_sessions_closed',
      sql`(${t.status} = 'closed') = (${t.closedAt} is not null and ${t.closedBy} is not null)`,
    ),
    isolatedBy(t.tenantId),
    notForAgents('calibration_sessions_not_agents'),
    // Closed is final, and only the creator or a tenant admin changes an open session.
    pgPolicy('calibration_sessions_changes', {
      as: 'restrictive',
      for: 'update',
      to: appRole,
      using: sql`${t.status} = 'open' and (${t.createdBy} = (select current_actor_id()) or ${currentRole} in ('tenant_admin', 'super_admin'))`,
      withCheck: sql`${t.createdBy} = (select current_actor_id()) or ${currentRole} in ('tenant_admin', 'super_admin')`,
    }),
  ],
);

/** A call of a session, with the evaluation being calibrated: the call's current one when the session was made. */
export const calibrationSessionCalls = pgTable(
  'calibration_session_calls',
  {
    tenantId: text('tenant_id').notNull(),
    sessionId: uuid('session_id').notNull(),
    callId: uuid('call_id').notNull(),
    evaluationId: uuid('evaluation_id').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.sessionId, t.callId] }),
    foreignKey({
      name: 'calibration_session_calls_session_fk',
      columns: [t.tenantId, t.sessionId],
      foreignColumns: [calibrationSessions.tenantId, calibrationSessions.id],
    }).onDelete('cascade'),
    // A deleted call leaves every session it was in, scores and all.
    foreignKey({
      name: 'calibration_session_calls_call_fk',
      columns: [t.tenantId, t.callId],
      foreignColumns: [calls.tenantId, calls.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'calibration_session_calls_evaluation_fk',
      columns: [t.tenantId, t.evaluationId],
      foreignColumns: [evaluations.tenantId, evaluations.id],
    }).onDelete('cascade'),
    index('calibration_session_calls_evaluation').on(t.tenantId, t.evaluationId),
    isolatedBy(t.tenantId),
    notForAgents('calibration_session_calls_not_agents'),
  ],
);

/**
 * A grader of a session. `scored` counts the (call, criterion) scores the grader has given: the
 * one view of others' progress that reveals no score, kept by the statement that saves scores.
 */
export const calibrationSessionGraders = pgTable(
  'calibration_session_graders',
  {
    tenantId: text('tenant_id').notNull(),
    sessionId: uuid('session_id').notNull(),
    graderId: uuid('grader_id').notNull(),
    scored: integer('scored').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.sessionId, t.graderId] }),
    foreignKey({
      name: 'calibration_session_graders_session_fk',
      columns: [t.tenantId, t.sessionId],
      foreignColumns: [calibrationSessions.tenantId, calibrationSessions.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'calibration_session_graders_grader_fk',
      columns: [t.tenantId, t.graderId],
      foreignColumns: [users.tenantId, users.id],
    }),
    index('calibration_session_graders_grader').on(t.tenantId, t.graderId),
    check('calibration_session_graders_scored', sql`${t.scored} >= 0`),
    isolatedBy(t.tenantId),
    notForAgents('calibration_session_graders_not_agents'),
    pgPolicy('calibration_session_graders_own_progress', {
      as: 'restrictive',
      for: 'update',
      to: appRole,
      using: sql`${t.graderId}::text = (select current_actor_id()) and ${isSessionOpen(t.tenantId, t.sessionId)}`,
      withCheck: sql`${t.graderId}::text = (select current_actor_id())`,
    }),
  ],
);

/**
 * One grader's score of one criterion of one call in a session, judged against the criterion as
 * the call was scored (`max_points` copied from the evaluation's criteria snapshot).
 *
 * The blind rule lives here: until the session closes a grader reads only its own rows (nobody
 * else reads any), and rows are written only by their grader while the session is open.
 */
export const calibrationScores = pgTable(
  'calibration_scores',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    sessionId: uuid('session_id').notNull(),
    callId: uuid('call_id').notNull(),
    graderId: uuid('grader_id').notNull(),
    criterionId: text('criterion_id').notNull(),
    score: integer('score').notNull(),
    maxPoints: integer('max_points').notNull(),
    passed: boolean('passed').notNull(),
    comment: text('comment'),
    ...timestamps,
  },
  (t) => [
    unique('calibration_scores_one').on(t.tenantId, t.sessionId, t.callId, t.graderId, t.criterionId),
    foreignKey({
      name: 'calibration_scores_call_fk',
      columns: [t.tenantId, t.sessionId, t.callId],
      foreignColumns: [
        calibrationSessionCalls.tenantId,
        calibrationSessionCalls.sessionId,
        calibrationSessionCalls.callId,
      ],
    }).onDelete('cascade'),
    foreignKey({
      name: 'calibration_scores_grader_fk',
      columns: [t.tenantId, t.sessionId, t.graderId],
      foreignColumns: [
        calibrationSessionGraders.tenantId,
        calibrationSessionGraders.sessionId,
        calibrationSessionGraders.graderId,
      ],
    }).onDelete('cascade'),
    check(
      'calibration_scores_points',
      sql`${t.maxPoints} between 1 and 100 and ${t.score} between 0 and ${t.maxPoints}`,
    ),
    check('calibration_scores_comment', sql`${t.comment} is null or length(${t.comment}) <= 2000`),
    isolatedBy(t.tenantId),
    notForAgents('calibration_scores_not_agents'),
    pgPolicy('calibration_scores_blind', {
      as: 'restrictive',
      for: 'select',
      to: appRole,
      using: sql`${t.graderId}::text = (select current_actor_id()) or exists (select 1 from calibration_sessions s where s.tenant_id = ${t.tenantId} and s.id = ${t.sessionId} and s.status = 'closed')`,
    }),
    pgPolicy('calibration_scores_own_insert', {
      as: 'restrictive',
      for: 'insert',
      to: appRole,
      withCheck: sql`${t.graderId}::text = (select current_actor_id()) and ${isSessionOpen(t.tenantId, t.sessionId)}`,
    }),
    pgPolicy('calibration_scores_own_update', {
      as: 'restrictive',
      for: 'update',
      to: appRole,
      using: sql`${t.graderId}::text = (select current_actor_id()) and ${isSessionOpen(t.tenantId, t.sessionId)}`,
      withCheck: sql`${t.graderId}::text = (select current_actor_id()) and ${isSessionOpen(t.tenantId, t.sessionId)}`,
    }),
  ],
);

// ---- disputes: an agent contests criteria of its released evaluation ---------------------------

export const DISPUTE_STATUSES = ['open', 'in_review', 'resolved', 'withdrawn', 'expired'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];
/** Still to be decided: counts against the tenant's limit per evaluation. */
export const PENDING_DISPUTE_STATUSES = ['open', 'in_review'] as const;
export const DISPUTE_DECISIONS = ['upheld', 'overturned', 'modified'] as const;
export type DisputeDecision = (typeof DISPUTE_DECISIONS)[number];

const currentActor = sql`(select current_actor_id())`;

/**
 * A dispute of the call's agent against criteria of one released evaluation of its call.
 * `open → in_review → resolved`, or `withdrawn` by its agent (open or in review), or `expired` by
 * the cron sweep once `window_ends_at` passed while it was still open. Final states are final:
 * the policies refuse any change to a resolved, withdrawn or expired dispute, the agent moves its
 * own dispute only to `withdrawn`, and nobody decides a dispute of their own call.
 * `window_ends_at` is fixed when it is opened: the evaluation's `released_at` plus the tenant's
 * `disputes.window_days`.
 */
export const disputes = pgTable(
  'disputes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    callId: uuid('call_id').notNull(),
    evaluationId: uuid('evaluation_id').notNull(),
    /** The call's agent, who opened it. */
    agentId: uuid('agent_id').notNull(),
    status: text('status', { enum: DISPUTE_STATUSES }).notNull().default('open'),
    comment: text('comment'),
    windowEndsAt: timestamp('window_ends_at', { withTimezone: true, mode: 'string' }).notNull(),
    reviewerId: text('reviewer_id'),
    reviewStartedAt: timestamp('review_started_at', { withTimezone: true, mode: 'string' }),
    resolvedBy: text('resolved_by'),
    resolutionComment: text('resolution_comment'),
    /** When it reached its final state (resolved, withdrawn or expired). */
    closedAt: timestamp('closed_at', { withTimezone: true, mode: 'string' }),
    ...timestamps,
  },
  (t) => [
    unique('disputes_tenant_id_id').on(t.tenantId, t.id),
    index('disputes_tenant_status').on(t.tenantId, t.status, t.createdAt.desc()),
    index('disputes_evaluation').on(t.tenantId, t.evaluationId),
    index('disputes_agent').on(t.tenantId, t.agentId, t.createdAt.desc()),
    // The expiry sweep: open disputes by the end of their window, across tenants.
    index('disputes_window')
      .on(t.windowEndsAt)
      .where(sql`${t.status} = 'open'`),
    foreignKey({
      name: 'disputes_call_fk',
      columns: [t.tenantId, t.callId],
      foreignColumns: [calls.tenantId, calls.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'disputes_evaluation_fk',
      columns: [t.tenantId, t.evaluationId],
      foreignColumns: [evaluations.tenantId, evaluations.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'disputes_agent_fk',
      columns: [t.tenantId, t.agentId],
      foreignColumns: [users.tenantId, users.id],
    }),
    check('disputes_status', sql`${t.status} in ('open', 'in_review', 'resolved', 'withdrawn', 'expired')`),
    check('disputes_closed', sql`(${t.status} in ('resolved', 'withdrawn', 'expired')) = (${t.closedAt} is not null)`),
    check('disputes_comment', sql`${t.comment} is null or length(${t.comment}) <= 2000`),
    isolatedBy(t.tenantId),
    agentsOwnRows('disputes_agents_own', t.agentId),
    // Opened by the call's agent only, and open.
    pgPolicy('disputes_opened_by_agent', {
      as: 'restrictive',
      for: 'insert',
      to: appRole,
      withCheck: sql`${t.status} = 'open' and ${t.agentId}::text = ${currentActor}`,
    }),
    // Only a pending dispute changes; its agent only withdraws it, and only someone else takes it in
    // review or resolves it; only the platform's sweep expires it.
    pgPolicy('disputes_moves', {
      as: 'restrictive',
      for: 'update',
      to: appRole,
      using: sql`${t.status} in ('open', 'in_review')`,
      withCheck: sql`case ${t.status}
        when 'withdrawn' then ${t.agentId}::text = ${currentActor}
        when 'in_review' then ${t.agentId}::text <> ${currentActor} and ${currentRole} is distinct from 'agent'
        when 'resolved' then ${t.agentId}::text <> ${currentActor} and ${currentRole} is distinct from 'agent'
        when 'expired' then (select is_platform_job())
        else false end`,
    }),
  ],
);

/**
 * One contested criterion of a dispute: what was in force when it was opened (`original_*`), the
 * agent's proposal and reason, and the manager's decision once resolved. `max_points` is the
 * criterion's as the call was scored, which bounds both scores.
 */
export const disputeItems = pgTable(
  'dispute_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    disputeId: uuid('dispute_id').notNull(),
    /** The dispute's agent, copied so the agents' policy needs no join. */
    agentId: uuid('agent_id').notNull(),
    position: integer('position').notNull(),
    criterionId: text('criterion_id').notNull(),
    criterionName: text('criterion_name').notNull(),
    maxPoints: integer('max_points').notNull(),
    originalScore: integer('original_score').notNull(),
    originalPassed: boolean('original_passed').notNull(),
    proposedScore: integer('proposed_score').notNull(),
    reason: text('reason').notNull(),
    decision: text('decision', { enum: DISPUTE_DECISIONS }),
    decidedScore: integer('decided_score'),
    decidedPassed: boolean('decided_passed'),
    decisionComment: text('decision_comment'),
    ...timestamps,
  },
  (t) => [
    unique('dispute_items_criterion').on(t.tenantId, t.disputeId, t.criterionId),
    foreignKey({
      name: 'dispute_items_dispute_fk',
      columns: [t.tenantId, t.disputeId],
      foreignColumns: [disputes.tenantId, disputes.id],
    }).onDelete('cascade'),
    check(
      'dispute_items_points',
      sql`${t.proposedScore} between 0 and ${t.maxPoints} and ${t.originalScore} between 0 and ${t.maxPoints}
        and (${t.decidedScore} is null or ${t.decidedScore} between 0 and ${t.maxPoints})`,
    ),
    check(
      'dispute_items_decision',
      sql`${t.decision} is null or ${t.decision} in ('upheld', 'overturned', 'modified')`,
    ),
    check('dispute_items_decided', sql`(${t.decision} is null) = (${t.decidedScore} is null)`),
    isolatedBy(t.tenantId),
    agentsOwnRows('dispute_items_agents_own', t.agentId),
    // Decisions are a manager's: an agent writes its items only when it opens the dispute.
    pgPolicy('dispute_items_decided_by_others', {
      as: 'restrictive',
      for: 'update',
      to: appRole,
      using: sql`${currentRole} is distinct from 'agent' and ${t.agentId}::text <> ${currentActor}`,
      withCheck: sql`${currentRole} is distinct from 'agent' and ${t.agentId}::text <> ${currentActor}`,
    }),
  ],
);
