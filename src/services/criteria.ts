import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { UserContext } from '../context';
import {
  complianceTemplates,
  criteriaSets,
  criterionVersions,
  evaluationCriteria,
  evaluations,
  type GradingMode,
} from '../db/schema';
import { Conflict, Invalid, NotFound } from '../lib/errors';
import type { CriterionVersionContent } from '../routes/criteria/schema';
import { CRITERIA_TEMPLATES } from './criteria-templates';
import { iso, tenantOf } from './scope';

export function listTemplates() {
  return CRITERIA_TEMPLATES.map((t) => ({
    id: t.key,
    name: t.name,
    category: t.category,
    default_points: t.default_points,
    auto_fail: t.auto_fail,
    description: t.description,
    evaluation_prompts: [...t.evaluation_prompts],
  }));
}

type CriterionRow = typeof evaluationCriteria.$inferSelect;

export function presentCriterion(row: CriterionRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    max_points: row.maxPoints,
    evaluation_prompts: row.evaluationPrompts,
    auto_fail: row.autoFail,
    is_custom: row.templateKey === null,
    template_id: row.templateKey,
    is_active: row.isActive,
    version: row.version,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export async function listCriteria(ctx: UserContext, activeOnly: boolean) {
  tenantOf(ctx);
  const [rows] = await ctx.db.run((q) => [
    q
      .select()
      .from(evaluationCriteria)
      .where(activeOnly ? eq(evaluationCriteria.isActive, true) : undefined)
      .orderBy(asc(evaluationCriteria.name)),
  ]);
  return rows.map(presentCriterion);
}

export interface NewCriterion {
  name?: string;
  template_id?: string;
  description?: string | null;
  category?: string;
  max_points?: number;
  evaluation_prompts?: string[];
  auto_fail?: boolean;
}

/** A custom criterion, or a copy of a template (which the tenant may then adjust). */
export async function createCriterion(ctx: UserContext, input: NewCriterion) {
  const tenantId = tenantOf(ctx);
  const template = input.template_id ? CRITERIA_TEMPLATES.find((t) => t.key === input.template_id) : undefined;
  if (input.template_id && !template)
    throw new Invalid('Unknown template.', [{ field: 'template_id', message: 'is not a template id' }]);
  const name = input.name ?? template?.name;
  const category = input.category ?? template?.category;
  const maxPoints = input.max_points ?? template?.default_points;
  if (!name || !category || !maxPoints) {
    throw new Invalid('A custom criterion needs a name, category and max_points.', [
      ...(!name ? [{ field: 'name', message: 'is required' }] : []),
      ...(!category ? [{ field: 'category', message: 'is required' }] : []),
      ...(!maxPoints ? [{ field: 'max_points', message: 'is required' }] : []),
    ]);
  }
  const [[row]] = await ctx.db.run((q) => [
    q
      .insert(evaluationCriteria)
      .values({
        tenantId,
        name,
        category,
        maxPoints,
        description: input.description ?? template?.description ?? null,
        evaluationPrompts: input.evaluation_prompts ?? (template ? [...template.evaluation_prompts] : []),
        autoFail: input.auto_fail ?? template?.auto_fail ?? false,
        templateKey: template?.key ?? null,
      })
      .returning(),
  ]);
  return presentCriterion(row!);
}

export async function getCriterion(ctx: UserContext, id: string) {
  tenantOf(ctx);
  const [[row], versions] = await ctx.db.run((q) => [
    q.select().from(evaluationCriteria).where(eq(evaluationCriteria.id, id)),
    q
      .select()
      .from(criterionVersions)
      .where(eq(criterionVersions.criterionId, id))
      .orderBy(asc(criterionVersions.version)),
  ]);
  if (!row) throw new NotFound('Criterion');
  return {
    ...presentCriterion(row),
    versions: versions.map((v) => ({
      version: v.version,
      ...(v.snapshot as CriterionVersionContent),
      created_at: iso(v.createdAt),
    })),
  };
}

export interface CriterionUpdate {
  name?: string;
  description?: string | null;
  category?: string;
  max_points?: number;
  evaluation_prompts?: string[];
  auto_fail?: boolean;
  is_active?: boolean;
}

export async function updateCriterion(ctx: UserContext, id: string, input: CriterionUpdate) {
  tenantOf(ctx);
  const set: Partial<typeof evaluationCriteria.$inferInsert> = {};
  if (input.name !== undefined) set.name = input.name;
  if (input.description !== undefined) set.description = input.description;
  if (input.category !== undefined) set.category = input.category;
  if (input.max_points !== undefined) set.maxPoints = input.max_points;
  if (input.evaluation_prompts !== undefined) set.evaluationPrompts = input.evaluation_prompts;
  if (input.auto_fail !== undefined) set.autoFail = input.auto_fail;
  if (input.is_active !== undefined) set.isActive = input.is_active;
  const [[row]] = await ctx.db.run((q) => [
    q.update(evaluationCriteria).set(set).where(eq(evaluationCriteria.id, id)).returning(),
  ]);
  if (!row) throw new NotFound('Criterion');
  return presentCriterion(row);
}

/**
 * Templates cannot be deleted, only deactivated. A custom criterion that past evaluations were
 * scored with is deactivated instead of deleted, so those scores stay explainable; one never
 * used is removed (and dropped from the sets that list it).
 */
export async function deleteCriterion(
  ctx: UserContext,
  id: string,
): Promise<{ deleted: boolean; deactivated: boolean }> {
  tenantOf(ctx);
  const used = sql`exists (select 1 from ${evaluations} e where e.criteria_snapshot @> ${JSON.stringify([{ id }])}::jsonb)`;
  const [[target], deleted, deactivated] = await ctx.db.run((q) => [
    q
      .select({ templateKey: evaluationCriteria.templateKey })
      .from(evaluationCriteria)
      .where(eq(evaluationCriteria.id, id)),
    q
      .delete(evaluationCriteria)
      .where(and(eq(evaluationCriteria.id, id), sql`${evaluationCriteria.templateKey} is null`, sql`not ${used}`))
      .returning({ id: evaluationCriteria.id }),
    q
      .update(evaluationCriteria)
      .set({ isActive: false })
      .where(and(eq(evaluationCriteria.id, id), sql`${evaluationCriteria.templateKey} is null`, used))
      .returning({ id: evaluationCriteria.id }),
    q
      .update(criteriaSets)
      .set({ criteriaIds: sql`array_remove(${criteriaSets.criteriaIds}, ${id}::uuid)` })
      .where(sql`${id}::uuid = any(${criteriaSets.criteriaIds}) and not ${used}`),
  ]);
  if (!target) throw new NotFound('Criterion');
  if (target.templateKey !== null)
    throw new Conflict('Criteria copied from a template cannot be deleted; set is_active to false instead.');
  return { deleted: deleted.length > 0, deactivated: deactivated.length > 0 };
}

// ---- sets ------------------------------------------------------------------------------------

function presentSet(row: typeof criteriaSets.$inferSelect) {
  return {
    id: row.id,
    name: row.name,
    criteria_ids: row.criteriaIds,
    criteria_count: row.criteriaIds.length,
    compliance_template_ids: row.complianceTemplateIds,
    is_default: row.isDefault,
    grading_mode: row.gradingMode,
    version: row.version,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export async function listSets(ctx: UserContext) {
  tenantOf(ctx);
  const [rows] = await ctx.db.run((q) => [q.select().from(criteriaSets).orderBy(asc(criteriaSets.name))]);
  return rows.map(presentSet);
}

type Db = Parameters<Parameters<UserContext['db']['run']>[0]>[0];

/** How many of `ids` are active criteria, and how many of `templateIds` are compliance templates, of this tenant. */
function knownCounts(q: Db, ids: string[], templateIds: string[]) {
  const criteria = q
    .select({ n: count() })
    .from(evaluationCriteria)
    .where(and(inArray(evaluationCriteria.id, ids), eq(evaluationCriteria.isActive, true)));
  const templates = q
    .select({ n: count() })
    .from(complianceTemplates)
    .where(inArray(complianceTemplates.id, templateIds));
  return { criteria, templates, valid: sql`(${criteria}) = ${ids.length} and (${templates}) = ${templateIds.length}` };
}

function unknownReferences(criteria: number, ids: string[], templates: number, templateIds: string[]): Invalid {
  return new Invalid('Every criterion and compliance template of a set must exist in this tenant.', [
    ...(criteria !== ids.length
      ? [{ field: 'criteria_ids', message: 'contains an unknown or inactive criterion' }]
      : []),
    ...(templates !== templateIds.length
      ? [{ field: 'compliance_template_ids', message: 'contains an unknown compliance template' }]
      : []),
  ]);
}

/**
 * The listed criteria (and compliance templates) must all exist, the criteria be active, and all
 * belong to the tenant: the insert selects itself only when the counts match, so a foreign or
 * unknown id writes nothing. Becoming the default clears the previous default first, in the same
 * transaction.
 */
export async function createSet(
  ctx: UserContext,
  input: {
    name: string;
    criteria_ids: string[];
    compliance_template_ids?: string[];
    is_default?: boolean;
    grading_mode?: GradingMode;
  },
) {
  const tenantId = tenantOf(ctx);
  const ids = [...new Set(input.criteria_ids)];
  const templateIds = [...new Set(input.compliance_template_ids ?? [])];
  const isDefault = input.is_default ?? false;
  const [, inserted, [criteria], [templates]] = await ctx.db.run((q) => {
    const known = knownCounts(q, ids, templateIds);
    return [
      q
        .update(criteriaSets)
        .set({ isDefault: false })
        .where(sql`${criteriaSets.isDefault} and ${isDefault} and ${known.valid}`),
      q
        .insert(criteriaSets)
        .select(
          q
            .select({
              id: sql`gen_random_uuid()`.as('id'),
              tenantId: sql`${tenantId}`.as('tenant_id'),
              name: sql`${input.name}`.as('name'),
              criteriaIds: sql`${`{${ids.join(',')}}`}::uuid[]`.as('criteria_ids'),
              complianceTemplateIds: sql`${`{${templateIds.join(',')}}`}::uuid[]`.as('compliance_template_ids'),
              isDefault: sql`${isDefault}::boolean`.as('is_default'),
              gradingMode: sql`${input.grading_mode ?? 'ai_auto'}`.as('grading_mode'),
              version: sql`1`.as('version'),
              createdAt: sql`now()`.as('created_at'),
              updatedAt: sql`now()`.as('updated_at'),
            })
            .from(sql`(select 1) as one`)
            .where(known.valid),
        )
        .returning(),
      known.criteria,
      known.templates,
    ];
  });
  if (!inserted[0]) throw unknownReferences(criteria!.n, ids, templates!.n, templateIds);
  return presentSet(inserted[0]);
}

/**
 * Renames a set, replaces its criteria or its compliance templates (a new version of the set), or
 * changes its grading mode (not a new version: it decides how calls scored from now on are
 * released, and an evaluation keeps the mode it was scored in).
 */
export async function updateSet(
  ctx: UserContext,
  id: string,
  input: { name?: string; criteria_ids?: string[]; compliance_template_ids?: string[]; grading_mode?: GradingMode },
) {
  tenantOf(ctx);
  const ids = input.criteria_ids ? [...new Set(input.criteria_ids)] : [];
  const templateIds = input.compliance_template_ids ? [...new Set(input.compliance_template_ids)] : [];
  const set: Partial<typeof criteriaSets.$inferInsert> = {};
  if (input.name !== undefined) set.name = input.name;
  if (input.criteria_ids) set.criteriaIds = ids;
  if (input.compliance_template_ids) set.complianceTemplateIds = templateIds;
  if (input.grading_mode) set.gradingMode = input.grading_mode;
  const [[target], updated, [criteria], [templates]] = await ctx.db.run((q) => {
    const known = knownCounts(q, ids, templateIds);
    return [
      q.select({ id: criteriaSets.id }).from(criteriaSets).where(eq(criteriaSets.id, id)),
      q
        .update(criteriaSets)
        .set(set)
        .where(and(eq(criteriaSets.id, id), known.valid))
        .returning(),
      known.criteria,
      known.templates,
    ];
  });
  if (!target) throw new NotFound('Criteria set');
  if (!updated[0]) throw unknownReferences(criteria!.n, ids, templates!.n, templateIds);
  return presentSet(updated[0]);
}
