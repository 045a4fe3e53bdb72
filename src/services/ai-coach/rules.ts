/**
 * Coaching rules: when a criterion keeps failing for an agent, assign a course or generate one.
 * A rule names a criterion (one of the tenant's, or a platform template key for tenants scored on
 * the templates), a condition, an action, a cooldown and a due-in. Every write is one round trip:
 * the checks and the write run in the same transaction, and the write is conditional on the
 * checks, so a bad rule leaves nothing behind. Firing lives in pipeline/coaching-rules.ts.
 */
import { and, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { UserContext } from '../../context';
import { coachRules, type ASSIGNMENT_PRIORITIES } from '../../db/schema';
import type { QueryBuilder } from '../../db/tenant-db';
import { Conflict, Invalid, NotFound, type FieldError } from '../../lib/errors';
import { CRITERIA_TEMPLATES } from '../criteria-templates';
import type { Pagination } from '../pagination';
import { iso, tenantOf } from '../scope';

type Priority = (typeof ASSIGNMENT_PRIORITIES)[number];

export type RuleCondition =
  | { type: 'consecutive_fails'; count: number }
  | { type: 'average_below'; threshold_pct: number; window_days: number; min_evaluations?: number };

export type RuleAction = { type: 'assign_course'; course_id: string } | { type: 'generate_course' };

export interface NewRule {
  name: string;
  criterion_id: string;
  condition: RuleCondition;
  action: RuleAction;
  cooldown_days?: number;
  due_in_days?: number;
  priority?: Priority;
  enabled?: boolean;
}

export type RuleUpdate = Partial<NewRule>;

export interface RuleFilter extends Pagination {
  criterion_id?: string;
  enabled?: boolean;
}

/** An average needs a few results before it means anything. */
export const DEFAULT_MIN_EVALUATIONS = 5;
export const DEFAULT_COOLDOWN_DAYS = 14;
export const DEFAULT_DUE_IN_DAYS = 14;

type RuleRow = typeof coachRules.$inferSelect;

export function presentRule(r: RuleRow) {
  return {
    id: r.id,
    name: r.name,
    criterion_id: r.criterionId,
    condition:
      r.condition === 'consecutive_fails'
        ? { type: 'consecutive_fails' as const, count: r.failCount! }
        : {
            type: 'average_below' as const,
            threshold_pct: r.thresholdPct!,
            window_days: r.windowDays!,
            min_evaluations: r.minEvaluations!,
          },
    action:
      r.action === 'assign_course'
        ? { type: 'assign_course' as const, course_id: r.courseId! }
        : { type: 'generate_course' as const },
    cooldown_days: r.cooldownDays,
    due_in_days: r.dueInDays,
    priority: r.priority,
    enabled: r.enabled,
    created_by: r.createdBy,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
  };
}

/** The columns a condition and an action are stored in; the others of the pair are null. */
function conditionColumns(c: RuleCondition) {
  return c.type === 'consecutive_fails'
    ? { condition: c.type, failCount: c.count, thresholdPct: null, windowDays: null, minEvaluations: null }
    : {
        condition: c.type,
        failCount: null,
        thresholdPct: c.threshold_pct,
        windowDays: c.window_days,
        minEvaluations: c.min_evaluations ?? DEFAULT_MIN_EVALUATIONS,
      };
}

function actionColumns(a: RuleAction) {
  return { action: a.type, courseId: a.type === 'assign_course' ? a.course_id : null };
}

const TEMPLATE_KEYS: ReadonlySet<string> = new Set(CRITERIA_TEMPLATES.map((t) => t.key));

/** A criterion the tenant's calls are scored on: one of its own, or a platform template. */
const criterionKnown = (criterionId: string) =>
  TEMPLATE_KEYS.has(criterionId)
    ? sql`true`
    : sql`exists (select 1 from evaluation_criteria c where c.id::text = ${criterionId})`;

/** A course a rule may assign: the tenant's, and not archived. */
const courseUsable = (courseId: string | null) =>
  courseId === null
    ? sql`true`
    : sql`exists (select 1 from coach_courses c where c.id = ${courseId}::uuid and c.status <> 'archived')`;

/** What the write depends on, read in the write's own transaction. */
function checks(q: QueryBuilder, input: RuleUpdate, self: string | null) {
  const courseId = input.action?.type === 'assign_course' ? input.action.course_id : null;
  return q.execute(sql`
    select ${input.criterion_id === undefined ? sql`true` : criterionKnown(input.criterion_id)} as criterion_known,
           ${courseId === null ? sql`null::text` : sql`(select c.status from coach_courses c where c.id = ${courseId}::uuid)`} as course_status,
           ${input.name === undefined ? sql`false` : sql`exists (select 1 from coach_rules r where r.name = ${input.name} and r.id is distinct from ${self}::uuid)`} as name_taken`);
}

/** Turns the checks into the error the caller should see, when the conditional write wrote nothing. */
function refusal(
  row: { criterion_known: boolean; course_status: string | null; name_taken: boolean },
  input: RuleUpdate,
) {
  const errors: FieldError[] = [];
  if (!row.criterion_known)
    errors.push({
      field: 'criterion_id',
      message: "is neither one of the tenant's evaluation criteria nor a platform template key",
    });
  if (input.action?.type === 'assign_course') {
    if (row.course_status === null)
      errors.push({ field: 'action.course_id', message: 'is not a course of this tenant' });
    else if (row.course_status === 'archived')
      errors.push({ field: 'action.course_id', message: 'is archived; an archived course cannot be assigned' });
  }
  if (errors.length) return new Invalid('The rule names something it cannot use.', errors);
  if (row.name_taken) return new Conflict('A coaching rule with this name already exists.');
  return null;
}

type Checked = { criterion_known: boolean; course_status: string | null; name_taken: boolean };

export async function listRules(ctx: UserContext, f: RuleFilter) {
  tenantOf(ctx);
  const where = and(
    f.criterion_id !== undefined ? eq(coachRules.criterionId, f.criterion_id) : undefined,
    f.enabled !== undefined ? eq(coachRules.enabled, f.enabled) : undefined,
  );
  const [rows, [counted]] = await ctx.db.run((q) => [
    q
      .select()
      .from(coachRules)
      .where(where)
      .orderBy(desc(coachRules.createdAt), desc(coachRules.id))
      .limit(f.limit)
      .offset((f.page - 1) * f.limit),
    q.select({ n: count() }).from(coachRules).where(where),
  ]);
  return { rows: rows.map(presentRule), total: counted?.n ?? 0 };
}

export async function getRule(ctx: UserContext, ruleId: string) {
  tenantOf(ctx);
  const [[rule]] = await ctx.db.run((q) => [q.select().from(coachRules).where(eq(coachRules.id, ruleId))]);
  if (!rule) throw new NotFound('Coaching rule');
  return presentRule(rule);
}

export async function createRule(ctx: UserContext, input: NewRule) {
  const tenantId = tenantOf(ctx);
  const cond = conditionColumns(input.condition);
  const act = actionColumns(input.action);
  const [checked, inserted] = await ctx.db.run((q) => [
    checks(q, input, null),
    // Written only when the checks hold; a name taken meanwhile is skipped, not a failed transaction.
    q.execute(sql`
      insert into ${coachRules} (tenant_id, name, criterion_id, condition, fail_count, threshold_pct, window_days, min_evaluations,
                                 action, course_id, cooldown_days, due_in_days, priority, enabled, created_by)
      select ${tenantId}, ${input.name}, ${input.criterion_id}, ${cond.condition}, ${cond.failCount}::int, ${cond.thresholdPct}::int,
             ${cond.windowDays}::int, ${cond.minEvaluations}::int, ${act.action}, ${act.courseId}::uuid,
             ${input.cooldown_days ?? DEFAULT_COOLDOWN_DAYS}, ${input.due_in_days ?? DEFAULT_DUE_IN_DAYS},
             ${input.priority ?? 'normal'}, ${input.enabled ?? true}, ${ctx.actor.userId}
      where ${criterionKnown(input.criterion_id)} and ${courseUsable(act.courseId)}
      on conflict (tenant_id, name) do nothing
      returning id`),
  ]);
  const id = (inserted.rows[0] as { id: string } | undefined)?.id;
  if (!id)
    throw refusal(checked.rows[0] as Checked, input) ?? new Conflict('A coaching rule with this name already exists.');
  return getRule(ctx, id);
}

export async function updateRule(ctx: UserContext, ruleId: string, input: RuleUpdate) {
  tenantOf(ctx);
  const set: PgUpdateSetSource<typeof coachRules> = {};
  if (input.name !== undefined) set.name = input.name;
  if (input.criterion_id !== undefined) set.criterionId = input.criterion_id;
  if (input.condition !== undefined) Object.assign(set, conditionColumns(input.condition));
  if (input.action !== undefined) Object.assign(set, actionColumns(input.action));
  if (input.cooldown_days !== undefined) set.cooldownDays = input.cooldown_days;
  if (input.due_in_days !== undefined) set.dueInDays = input.due_in_days;
  if (input.priority !== undefined) set.priority = input.priority;
  if (input.enabled !== undefined) set.enabled = input.enabled;
  const guards: SQL[] = [];
  if (input.criterion_id !== undefined) guards.push(criterionKnown(input.criterion_id));
  if (input.action?.type === 'assign_course') guards.push(courseUsable(input.action.course_id));
  if (input.name !== undefined)
    guards.push(sql`not exists (select 1 from coach_rules r where r.name = ${input.name} and r.id <> ${ruleId}::uuid)`);

  const [[existing], checked, [updated]] = await ctx.db.run((q) => [
    q.select({ id: coachRules.id }).from(coachRules).where(eq(coachRules.id, ruleId)),
    checks(q, input, ruleId),
    q
      .update(coachRules)
      .set(set)
      .where(and(eq(coachRules.id, ruleId), ...guards))
      .returning(),
  ]);
  if (!existing) throw new NotFound('Coaching rule');
  if (!updated)
    throw refusal(checked.rows[0] as Checked, input) ?? new Conflict('The rule changed meanwhile; try again.');
  return presentRule(updated);
}

/** The rule goes, and its firings with it; assignments it made stay, naming the rule they came from. */
export async function deleteRule(ctx: UserContext, ruleId: string) {
  tenantOf(ctx);
  const [deleted] = await ctx.db.run((q) => [
    q.delete(coachRules).where(eq(coachRules.id, ruleId)).returning({ id: coachRules.id }),
  ]);
  if (!deleted.length) throw new NotFound('Coaching rule');
}
