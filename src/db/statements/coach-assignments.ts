/**
 * Coach assignments as the API presents them, and the statements that need one SQL shape in
 * several services. `overdue` is never stored: an open assignment whose due date has passed (in
 * UTC days) is shown and filtered as `overdue`, so no job has to flip it at midnight and the list,
 * its filter and a single read always agree.
 */
import { type SQL, sql } from 'drizzle-orm';
import { coachAssignments, coachCourses } from '../schema';
import type { QueryBuilder } from '../tenant-db';

/** Today as a UTC date, the day `due_date` is compared with. */
export const todayUtc = sql`(now() at time zone 'utc')::date`;

/** The status shown for assignment row `a`: the stored one, or `overdue`. */
export const shownStatus = (a: SQL) =>
  sql`case when ${a}.status in ('assigned', 'in_progress') and ${a}.due_date < ${todayUtc} then 'overdue' else ${a}.status end`;

/** Rows of `a` whose shown status is `status` (a stored one, or `overdue`). */
export function statusIs(a: SQL, status: string) {
  if (status === 'overdue') return sql`(${a}.status in ('assigned', 'in_progress') and ${a}.due_date < ${todayUtc})`;
  if (status === 'assigned' || status === 'in_progress')
    return sql`(${a}.status = ${status} and (${a}.due_date is null or ${a}.due_date >= ${todayUtc}))`;
  return sql`${a}.status = ${status}`;
}

/**
 * Assignment row `a` as JSON, in the API's field names. The course title is read through the
 * caller's own policies: an agent whose cancelled assignment was of a draft course gets null.
 */
export const assignmentJson = (a: SQL) => sql`json_build_object(
  'id', ${a}.id,
  'course_id', ${a}.course_id,
  'course_title', (select c.title from ${coachCourses} c where c.tenant_id = ${a}.tenant_id and c.id = ${a}.course_id),
  'course_version', ${a}.course_version,
  'agent_id', ${a}.agent_id,
  'assigned_by', ${a}.assigned_by,
  'due_date', ${a}.due_date,
  'priority', ${a}.priority,
  'reason', ${a}.reason,
  'status', ${shownStatus(a)},
  'progress', ${a}.progress,
  'score_scaled', ${a}.score_scaled,
  'started_at', ${a}.started_at,
  'completed_at', ${a}.completed_at,
  'cancelled_at', ${a}.cancelled_at,
  'created_at', ${a}.created_at,
  'updated_at', ${a}.updated_at)`;

/** As `assignmentJson` builds it; timestamps still in Postgres' text form. */
export interface AssignmentJson {
  id: string;
  course_id: string;
  course_title: string | null;
  course_version: number;
  agent_id: string;
  assigned_by: string | null;
  due_date: string | null;
  priority: (typeof coachAssignments.$inferSelect)['priority'];
  reason: (typeof coachAssignments.$inferSelect)['reason'];
  status: (typeof coachAssignments.$inferSelect)['status'] | 'overdue';
  progress: number;
  score_scaled: number | null;
  started_at: string | null;
  completed_at: string | null;
  cancelled_at: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * Locks the assignment row until the transaction ends, as the first statement of a batch that
 * changes it: concurrent progress on one assignment then runs one batch after the other, and each
 * later statement reads what the one before it committed. An agent locks only its own rows.
 */
export function lockAssignment(q: QueryBuilder, assignmentId: string) {
  return q.execute<{ id: string; status: string }>(
    sql`select id, status from ${coachAssignments} where id = ${assignmentId}::uuid for update`,
  );
}

/** True when the course has any assignment, whatever its status (its content is then fixed). */
export const courseHasAssignments = (courseId: string) =>
  sql`exists (select 1 from ${coachAssignments} ca where ca.course_id = ${courseId}::uuid)`;
