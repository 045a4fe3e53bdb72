import { asc, eq, sql } from 'drizzle-orm';
import type { UserContext } from '../context';
import {
  type ComplianceRequirement,
  complianceTemplates,
  complianceTemplateVersions,
  criteriaSets,
  type RegulationType,
} from '../db/schema';
import { Conflict, Forbidden, Invalid, NotFound } from '../lib/errors';
import type {
  ComplianceTemplateUpdate,
  NewComplianceTemplate,
  RequirementInput,
} from '../routes/admin/compliance-templates-schema';
import {
  SYSTEM_COMPLIANCE_TEMPLATES,
  type SystemComplianceTemplate,
  systemTemplate,
} from './compliance-system-templates';
import { iso, tenantOf } from './scope';

type TemplateRow = typeof complianceTemplates.$inferSelect;
type SetRef = { id: string; complianceTemplateIds: string[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Stored with every optional part filled in, so readers (and the model's prompt) see one shape. */
export function normaliseRequirements(list: readonly RequirementInput[]): ComplianceRequirement[] {
  return list.map((r) => ({
    key: r.key,
    title: r.title ?? null,
    text: r.text,
    severity: r.severity,
    must_say: r.must_say ?? [],
    must_not_say: r.must_not_say ?? [],
  }));
}

function presentSystem(t: SystemComplianceTemplate) {
  return {
    id: t.key,
    name: t.name,
    regulation_type: t.regulation_type,
    description: t.description,
    requirements: t.requirements.map((r) => ({ ...r, must_say: [...r.must_say], must_not_say: [...r.must_not_say] })),
    version: 1,
    is_system: true,
    read_only: true,
    source_key: null,
    is_default: false,
    criteria_set_ids: [] as string[],
    created_at: null,
    updated_at: null,
  };
}

function present(row: TemplateRow, sets: SetRef[]) {
  return {
    id: row.id,
    name: row.name,
    regulation_type: row.regulationType,
    description: row.description,
    requirements: row.requirements,
    version: row.version,
    is_system: false,
    read_only: false,
    source_key: row.sourceKey,
    is_default: row.isDefault,
    criteria_set_ids: sets.filter((s) => s.complianceTemplateIds.includes(row.id)).map((s) => s.id),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

const setRefs = { id: criteriaSets.id, complianceTemplateIds: criteriaSets.complianceTemplateIds };

/** The platform's templates first (read-only), then the tenant's by name. */
export async function listComplianceTemplates(ctx: UserContext) {
  tenantOf(ctx);
  const [rows, sets] = await ctx.db.run((q) => [
    q.select().from(complianceTemplates).orderBy(asc(complianceTemplates.name)),
    q.select(setRefs).from(criteriaSets),
  ]);
  return [...SYSTEM_COMPLIANCE_TEMPLATES.map(presentSystem), ...rows.map((r) => present(r, sets))];
}

export async function getComplianceTemplate(ctx: UserContext, ref: string) {
  tenantOf(ctx);
  if (!UUID.test(ref)) {
    const system = systemTemplate(ref);
    if (!system) throw new NotFound('Compliance template');
    const presented = presentSystem(system);
    const { name, regulation_type, description, requirements } = presented;
    // Shipped with the platform: one version, the one in this release.
    return {
      ...presented,
      versions: [{ version: 1, name, regulation_type, description, requirements, created_at: null }],
    };
  }
  const [[row], versions, sets] = await ctx.db.run((q) => [
    q.select().from(complianceTemplates).where(eq(complianceTemplates.id, ref)),
    q
      .select()
      .from(complianceTemplateVersions)
      .where(eq(complianceTemplateVersions.templateId, ref))
      .orderBy(asc(complianceTemplateVersions.version)),
    q.select(setRefs).from(criteriaSets),
  ]);
  if (!row) throw new NotFound('Compliance template');
  return {
    ...present(row, sets),
    versions: versions.map((v) => {
      const s = v.snapshot as {
        name: string;
        regulation_type: RegulationType;
        description: string | null;
        requirements: ComplianceRequirement[];
      };
      return {
        version: v.version,
        name: s.name,
        regulation_type: s.regulation_type,
        description: s.description,
        requirements: s.requirements,
        created_at: iso(v.createdAt),
      };
    }),
  };
}

/** A custom template, or a copy of a system one (`from_system`) with any field overridden. */
export async function createComplianceTemplate(ctx: UserContext, input: NewComplianceTemplate) {
  const tenantId = tenantOf(ctx);
  const source = input.from_system !== undefined ? systemTemplate(input.from_system) : undefined;
  if (input.from_system !== undefined && !source)
    throw new Invalid('Unknown system template.', [
      {
        field: 'from_system',
        message: `is not a system template key (${SYSTEM_COMPLIANCE_TEMPLATES.map((t) => t.key).join(', ')})`,
      },
    ]);
  const name = input.name ?? source?.name;
  const regulationType = input.regulation_type ?? source?.regulation_type;
  const requirements = input.requirements ?? source?.requirements;
  if (!name || !regulationType || !requirements) {
    throw new Invalid('A template needs a name, regulation_type and requirements, or from_system to copy them.', [
      ...(!name ? [{ field: 'name', message: 'is required' }] : []),
      ...(!regulationType ? [{ field: 'regulation_type', message: 'is required' }] : []),
      ...(!requirements ? [{ field: 'requirements', message: 'is required' }] : []),
    ]);
  }
  const [[row]] = await ctx.db.run((q) => [
    q
      .insert(complianceTemplates)
      .values({
        tenantId,
        name,
        regulationType,
        description: input.description !== undefined ? input.description : (source?.description ?? null),
        requirements: normaliseRequirements(requirements),
        sourceKey: source?.key ?? null,
        isDefault: input.is_default ?? false,
        createdBy: ctx.actor.userId,
      })
      .returning(),
  ]);
  return present(row!, []);
}

/** Writes name a tenant template's UUID; a system key is refused (403), anything else is unknown (404). */
function refuseSystem(ref: string, verb: string): void {
  if (UUID.test(ref)) return;
  if (systemTemplate(ref))
    throw new Forbidden(
      `System templates are read-only; copy it with POST /api/admin/compliance-templates {"from_system": "${ref}"} and ${verb} the copy.`,
    );
  throw new NotFound('Compliance template');
}

/** A content change (name, regulation, description, requirements) is a new version; is_default is not. */
export async function updateComplianceTemplate(ctx: UserContext, ref: string, input: ComplianceTemplateUpdate) {
  tenantOf(ctx);
  refuseSystem(ref, 'edit');
  const set: Partial<typeof complianceTemplates.$inferInsert> = {};
  if (input.name !== undefined) set.name = input.name;
  if (input.regulation_type !== undefined) set.regulationType = input.regulation_type;
  if (input.description !== undefined) set.description = input.description;
  if (input.requirements !== undefined) set.requirements = normaliseRequirements(input.requirements);
  if (input.is_default !== undefined) set.isDefault = input.is_default;
  const [[row], sets] = await ctx.db.run((q) => [
    q.update(complianceTemplates).set(set).where(eq(complianceTemplates.id, ref)).returning(),
    q.select(setRefs).from(criteriaSets),
  ]);
  if (!row) throw new NotFound('Compliance template');
  return present(row, sets);
}

/**
 * A template a criteria set attaches is not deleted (409 naming the sets): detach it first, so no
 * set silently stops judging a regulation. Its versions stay, so past results remain explainable.
 */
export async function deleteComplianceTemplate(ctx: UserContext, ref: string) {
  tenantOf(ctx);
  refuseSystem(ref, 'delete');
  const attached = sql`exists (select 1 from ${criteriaSets} s where ${ref}::uuid = any(s.compliance_template_ids))`;
  const [[target], deleted, users] = await ctx.db.run((q) => [
    q.select({ id: complianceTemplates.id }).from(complianceTemplates).where(eq(complianceTemplates.id, ref)),
    q
      .delete(complianceTemplates)
      .where(sql`${complianceTemplates.id} = ${ref}::uuid and not ${attached}`)
      .returning({ id: complianceTemplates.id }),
    q
      .select({ name: criteriaSets.name })
      .from(criteriaSets)
      .where(sql`${ref}::uuid = any(${criteriaSets.complianceTemplateIds})`)
      .orderBy(asc(criteriaSets.name)),
  ]);
  if (!target) throw new NotFound('Compliance template');
  if (!deleted.length)
    throw new Conflict(
      `The template is attached to criteria sets (${users.map((s) => s.name).join(', ')}); remove it from their compliance_template_ids first.`,
    );
}
