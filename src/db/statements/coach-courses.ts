/**
 * A course's modules and lessons, written as two set-based inserts (one per table, whatever the
 * number of rows) from JSON built in the Worker, where the ids are made so lessons can name their
 * module before either exists. Each insert writes nothing unless the course is visible in this
 * transaction: replacing another tenant's course (or one deleted meanwhile) inserts no rows
 * instead of failing on a foreign key, and the caller answers 404 from the course update. Nor is
 * anything written to a course with assignments, whose content is fixed (the caller answers 409).
 */
import { sql } from 'drizzle-orm';
import { coachCourses, coachLessons, coachModules, type LESSON_TYPES, type LessonContent } from '../schema';
import type { QueryBuilder } from '../tenant-db';
import { courseHasAssignments } from './coach-assignments';

export interface ModuleRow {
  id: string;
  position: number;
  title: string;
  description: string | null;
}

export interface LessonRow {
  id: string;
  module_id: string;
  position: number;
  title: string;
  type: (typeof LESSON_TYPES)[number];
  content: LessonContent;
  estimated_minutes: number | null;
}

const courseVisible = (courseId: string) =>
  sql`exists (select 1 from ${coachCourses} where ${coachCourses.id} = ${courseId}::uuid) and not ${courseHasAssignments(courseId)}`;

export function insertModules(q: QueryBuilder, tenantId: string, courseId: string, rows: ModuleRow[]) {
  return q.execute(sql`
    insert into ${coachModules} (id, tenant_id, course_id, position, title, description)
    select m.id, ${tenantId}, ${courseId}::uuid, m.position, m.title, m.description
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as m(id uuid, position int, title text, description text)
     where ${courseVisible(courseId)}`);
}

export function insertLessons(q: QueryBuilder, tenantId: string, courseId: string, rows: LessonRow[]) {
  return q.execute(sql`
    insert into ${coachLessons} (id, tenant_id, course_id, module_id, position, title, type, content, estimated_minutes)
    select l.id, ${tenantId}, ${courseId}::uuid, l.module_id, l.position, l.title, l.type, l.content, l.estimated_minutes
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
           as l(id uuid, module_id uuid, position int, title text, type text, content jsonb, estimated_minutes int)
     where ${courseVisible(courseId)}`);
}
