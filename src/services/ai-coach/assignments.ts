/**
 * AI coach assignments: a course given to agents, at most one open assignment per agent and
 * course. Creation is all or nothing for bad input (an unknown agent or a non-agent creates
 * nobody's assignment), and idempotent per agent: one who already holds an open assignment of the
 * course is reported back instead of getting a second, however many managers race to assign it.
 * Agents read only their own assignments (here and in the database's policies).
 */
import { type SQL, sql } from 'drizzle-orm';
import type { UserContext } from '../../context';
import { atLeast } from '../../auth/roles';
import { ASSIGNMENT_PRIORITIES, coachAssignments, coachCourses, users } from '../../db/schema';
import { type AssignmentJson, assignmentJson, lockAssignment, statusIs } from '../../db/statements/coach-assignments';
import { Conflict, type FieldError, Invalid, NotFound } from '../../lib/errors';
import type { Pagination } from '../pagination';
import { iso, tenantOf } from '../scope';

type Priority = (typeof ASSIGNMENT_PRIORITIES)[number];
export type ShownStatus = AssignmentJson['status'];

export interface AssignmentFilter extends Pagination {
  status?: ShownStatus;
  agent_id?: string;
  course_id?: string;
  team_id?: string;
  /** Due exactly on this day. */
  due_date?: string;
  /** Due on or before this day (undated assignments are left out). */
  due_before?: string;
  /** Due on or after this day (undated assignments are left out). */
  due_after?: string;
}

export interface NewAssignments {
  course_id: string;
  agent_ids: string[];
  due_date?: string | null;
  priority?: Priority;
}

export interface AssignmentUpdate {
  due_date?: string | null;
  priority?: Priority;
  status?: 'cancelled';
}

export const isAgent = (ctx: UserContext) => !atLeast(ctx.actor.role, 'manager');

export function presentAssignment(a: AssignmentJson) {
  return {
    ...a,
    progress: Number(a.progress),
    score_scaled: a.score_scaled === null ? null : Number(a.score_scaled),
    started_at: iso(a.started_at),
    completed_at: iso(a.completed_at),
    cancelled_at: iso(a.cancelled_at),
    created_at: iso(a.created_at),
    updated_at: iso(a.updated_at),
  };
}

const a = sql`a`;

/** An agent's own rows only; the policy agents_own_assignments says the same in the database. */
const ownedBy = (ctx: UserContext) => (isAgent(ctx) ? sql`a.agent_id = ${ctx.actor.userId}::uuid` : undefined);

export async function listAssignments(ctx: UserContext, f: AssignmentFilter) {
  tenantOf(ctx);
  const conditions = [
    ownedBy(ctx),
    f.status && statusIs(a, f.status),
    f.agent_id && sql`a.agent_id = ${f.agent_id}::uuid`,
    f.course_id && sql`a.course_id = ${f.course_id}::uuid`,
    f.team_id &&
      sql`exists (select 1 from ${users} u where u.tenant_id = a.tenant_id and u.id = a.agent_id and u.team_id = ${f.team_id}::uuid)`,
    f.due_date && sql`a.due_date = ${f.due_date}::date`,
    f.due_before && sql`a.due_date <= ${f.due_before}::date`,
    f.due_after && sql`a.due_date >= ${f.due_after}::date`,
  ].filter((c): c is SQL => !!c);
  const where = conditions.length ? sql.join(conditions, sql` and `) : sql`true`;
  const [rows, counted] = await ctx.db.run((q) => [
    q.execute<{ assignment: AssignmentJson }>(sql`
      select ${assignmentJson(a)} as assignment from ${coachAssignments} a where ${where}
       order by a.due_date asc nulls last, a.created_at desc, a.id
       limit ${f.limit} offset ${(f.page - 1) * f.limit}`),
    q.execute<{ n: number }>(sql`select count(*)::int as n from ${coachAssignments} a where ${where}`),
  ]);
  return { rows: rows.rows.map((r) => presentAssignment(r.assignment)), total: Number(counted.rows[0]?.n ?? 0) };
}

export async function getAssignment(ctx: UserContext, assignmentId: string) {
  tenantOf(ctx);
  const own = ownedBy(ctx);
  const [found] = await ctx.db.run((q) => [
    q.execute<{ assignment: AssignmentJson }>(sql`
      select ${assignmentJson(a)} as assignment from ${coachAssignments} a
       where a.id = ${assignmentId}::uuid ${own ? sql`and ${own}` : sql``}`),
  ]);
  const row = found.rows[0];
  // Another agent's assignment is not there, as another tenant's is not there for anyone.
  if (!row) throw new NotFound('Assignment');
  return presentAssignment(row.assignment);
}

type AgentCheck = { i: number; id: string; role: string | null; status: string | null };

function agentErrors(checked: AgentCheck[]): FieldError[] {
  return checked.flatMap((c): FieldError[] => {
    const field = `agent_ids.${c.i}`;
    if (c.role === null) return [{ field, message: 'is not a user of this tenant' }];
    if (c.role !== 'agent') return [{ field, message: `is not an agent (role ${c.role})` }];
    if (c.status !== 'active') return [{ field, message: `is not active (status ${c.status})` }];
    return [];
  });
}

/**
 * One batch: the course row is share-locked first (a content replacement, which takes the row
 * lock, waits for this to commit and then sees its assignments; or this waits for it and assigns
 * the new version); the agents are checked; the insert re-checks course and agents itself, so bad
 * input writes nothing; and `on conflict do nothing` on coach_assignments_one_open leaves an agent
 * who already has an open assignment (even one committed by a concurrent request a moment ago)
 * with that one. The last statement reads those, after the insert has waited out any such race.
 */
export async function createAssignments(ctx: UserContext, input: NewAssignments) {
  const tenantId = tenantOf(ctx);
  const ids = JSON.stringify(input.agent_ids);
  const requested = sql`(select x.id::uuid from jsonb_array_elements_text(${ids}::jsonb) as x(id))`;
  const open = sql`status in ('assigned', 'in_progress')`;
  const [course, agents, created, existing] = await ctx.db.run((q) => [
    q.execute<{ status: string }>(
      sql`select status from ${coachCourses} where id = ${input.course_id}::uuid for share`,
    ),
    q.execute<AgentCheck>(sql`
      select (x.n - 1)::int as i, x.id, u.role, u.status
        from jsonb_array_elements_text(${ids}::jsonb) with ordinality as x(id, n)
        left join ${users} u on u.id = x.id::uuid
       order by x.n`),
    q.execute<{ assignment: AssignmentJson }>(sql`
      insert into ${coachAssignments} as ca (tenant_id, course_id, course_version, agent_id, assigned_by, due_date, priority, reason)
      select ${tenantId}, c.id, c.version, r.id, ${ctx.actor.userId}, ${input.due_date ?? null}::date,
             ${input.priority ?? 'normal'}, 'manual'
        from ${coachCourses} c, ${requested} as r(id)
       where c.id = ${input.course_id}::uuid and c.status <> 'archived'
         and (select count(*) from ${users} u where u.id in ${requested} and u.role = 'agent' and u.status = 'active')
             = ${input.agent_ids.length}
      on conflict (tenant_id, agent_id, course_id) where ${open} do nothing
      returning ${assignmentJson(sql`ca`)} as assignment`),
    q.execute<{ agent_id: string; assignment_id: string }>(sql`
      select agent_id, id as assignment_id from ${coachAssignments}
       where course_id = ${input.course_id}::uuid and agent_id in ${requested} and ${open}`),
  ]);
  const courseStatus = course.rows[0]?.status;
  if (!courseStatus)
    throw new Invalid('The course does not exist in this tenant.', [{ field: 'course_id', message: 'does not exist' }]);
  if (courseStatus === 'archived') throw new Conflict('An archived course cannot be assigned; publish it again first.');
  const errors = agentErrors(agents.rows);
  if (errors.length) throw new Invalid('Only active agents of this tenant can be assigned a course.', errors);

  const order = (agentId: string) => input.agent_ids.indexOf(agentId);
  const made = created.rows
    .map((r) => presentAssignment(r.assignment))
    .sort((x, y) => order(x.agent_id) - order(y.agent_id));
  const madeIds = new Set(made.map((m) => m.id));
  const already = existing.rows
    .filter((r) => !madeIds.has(r.assignment_id))
    .sort((x, y) => order(x.agent_id) - order(y.agent_id));
  return { created: made, already_assigned: already };
}

/**
 * A manager moves the due date, changes the priority, or cancels. Only an open assignment changes:
 * a completed one is history (409), a cancelled one stays cancelled (cancelling it again answers
 * it unchanged; any other change is 409).
 */
export async function updateAssignment(ctx: UserContext, assignmentId: string, input: AssignmentUpdate) {
  tenantOf(ctx);
  const set: SQL[] = [];
  if (input.due_date !== undefined) set.push(sql`due_date = ${input.due_date}::date`);
  if (input.priority !== undefined) set.push(sql`priority = ${input.priority}`);
  if (input.status === 'cancelled') set.push(sql`status = 'cancelled'`, sql`cancelled_at = now()`);
  const [locked, updated, after] = await ctx.db.run((q) => [
    lockAssignment(q, assignmentId),
    q.execute<{ id: string }>(sql`
      update ${coachAssignments} set ${sql.join(set, sql`, `)}
       where id = ${assignmentId}::uuid and status in ('assigned', 'in_progress') returning id`),
    q.execute<{ assignment: AssignmentJson }>(
      sql`select ${assignmentJson(a)} as assignment from ${coachAssignments} a where a.id = ${assignmentId}::uuid`,
    ),
  ]);
  const before = locked.rows[0]?.status;
  if (!before) throw new NotFound('Assignment');
  if (!updated.rows.length) {
    if (before === 'completed') throw new Conflict('A completed assignment cannot be changed or cancelled.');
    const onlyCancel = input.status === 'cancelled' && input.due_date === undefined && input.priority === undefined;
    if (!onlyCancel) throw new Conflict('A cancelled assignment cannot be changed.');
  }
  return presentAssignment(after.rows[0]!.assignment);
}
