/**
 * AI coach courses: a course, its ordered modules and their ordered lessons, written and read in
 * one database round trip each. Quiz answers are stored with the lesson and removed here for
 * agents, so no agent response ever carries them.
 *
 * Agents see published courses, and any course (draft or archived too) they hold a not-cancelled
 * assignment of, as the policy agents_published_courses says in the database. The content of a
 * course with assignments is fixed: replacing its modules is refused with 409 (metadata and status
 * still change), so every assignment's progress keeps pointing at the lessons it was made on. */
import { and, asc, count, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { UserContext } from '../../context';
import { atLeast } from '../../auth/roles';
import { coachAssignments, coachCourses, coachLessons, coachModules, type LessonContent } from '../../db/schema';
import { courseHasAssignments } from '../../db/statements/coach-assignments';
import { insertLessons, insertModules, type LessonRow, type ModuleRow } from '../../db/statements/coach-courses';
import { Conflict, NotFound } from '../../lib/errors';
import { ASSIGNED_COURSE_CONTENT } from '../../db/tenant-db';
import type { Pagination } from '../pagination';
import { iso, tenantOf } from '../scope';

type CourseRow = typeof coachCourses.$inferSelect;
type Difficulty = CourseRow['difficulty'];
type Status = CourseRow['status'];

export interface LessonInput {
  title: string;
  type: LessonRow['type'];
  content: LessonContent;
  estimated_minutes?: number;
}

export interface ModuleInput {
  title: string;
  description?: string | null;
  lessons: LessonInput[];
}

export interface NewCourse {
  title: string;
  description?: string | null;
  category: string;
  difficulty: Difficulty;
  skills_covered?: string[];
  estimated_hours?: number | null;
  status?: 'draft' | 'published';
  modules: ModuleInput[];
}

export interface CourseUpdate {
  title?: string;
  description?: string | null;
  category?: string;
  difficulty?: Difficulty;
  skills_covered?: string[];
  estimated_hours?: number | null;
  status?: Status;
  modules?: ModuleInput[];
}

export interface CourseFilter extends Pagination {
  category?: string;
  difficulty?: Difficulty;
  status?: Status;
  /** Agents: courses of their open or completed assignments; managers: courses with any assignment. */
  assigned_only?: boolean;
}

type AgentLessonContent = { markdown: string; questions?: { prompt: string; options: string[] }[] };

const isAgent = (ctx: UserContext) => !atLeast(ctx.actor.role, 'manager');

export function presentCourse(row: CourseRow) {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    category: row.category,
    difficulty: row.difficulty,
    skills_covered: row.skillsCovered,
    estimated_hours: row.estimatedHours,
    status: row.status,
    source: row.source,
    generated_from: row.generatedFrom,
    version: row.version,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/**
 * An agent gets the Markdown, and of a quiz the questions and options only: answers are scored on
 * the server. Built from an allow-list, so a key added to the content later stays server-side
 * until it is added here.
 */
function contentFor(ctx: UserContext, content: LessonContent): LessonContent | AgentLessonContent {
  if (!isAgent(ctx)) return content;
  return {
    markdown: content.markdown,
    ...(content.questions ? { questions: content.questions.map(({ prompt, options }) => ({ prompt, options })) } : {}),
  };
}

function presentContent(ctx: UserContext, modules: ModuleRow[], lessons: LessonRow[]) {
  return modules
    .sort((a, b) => a.position - b.position)
    .map((m) => ({
      id: m.id,
      position: m.position,
      title: m.title,
      description: m.description,
      lessons: lessons
        .filter((l) => l.module_id === m.id)
        .sort((a, b) => a.position - b.position)
        .map((l) => ({
          id: l.id,
          position: l.position,
          title: l.title,
          type: l.type,
          content: contentFor(ctx, l.content),
          estimated_minutes: l.estimated_minutes,
        })),
    }));
}

const moduleRowOf = (m: typeof coachModules.$inferSelect): ModuleRow => ({
  id: m.id,
  position: m.position,
  title: m.title,
  description: m.description,
});

const lessonRowOf = (l: typeof coachLessons.$inferSelect): LessonRow => ({
  id: l.id,
  module_id: l.moduleId,
  position: l.position,
  title: l.title,
  type: l.type,
  content: l.content,
  estimated_minutes: l.estimatedMinutes,
});

/** Rows for the content, ids made here so lessons can name their module in the same batch. */
function contentRows(modules: ModuleInput[]) {
  const moduleRows: ModuleRow[] = [];
  const lessonRows: LessonRow[] = [];
  modules.forEach((m, position) => {
    const id = crypto.randomUUID();
    moduleRows.push({ id, position, title: m.title, description: m.description ?? null });
    m.lessons.forEach((l, lessonPosition) =>
      lessonRows.push({
        id: crypto.randomUUID(),
        module_id: id,
        position: lessonPosition,
        title: l.title,
        type: l.type,
        content: l.content,
        estimated_minutes: l.estimated_minutes ?? null,
      }),
    );
  });
  return { moduleRows, lessonRows };
}

/**
 * What an agent may read: a published course, or one it holds a not-cancelled assignment of. The
 * same condition as the policy agents_published_courses, so the count and the page agree with
 * what the database lets through.
 */
function visibleToAgent(ctx: UserContext): SQL | undefined {
  if (!isAgent(ctx)) return undefined;
  return sql`(${coachCourses.status} = 'published' or exists (select 1 from ${coachAssignments} a
    where a.tenant_id = ${coachCourses.tenantId} and a.course_id = ${coachCourses.id}
      and a.agent_id = ${ctx.actor.userId}::uuid and a.status <> 'cancelled'))`;
}

function assignedOnly(ctx: UserContext): SQL {
  const mine = isAgent(ctx)
    ? sql`and a.agent_id = ${ctx.actor.userId}::uuid and a.status in ('assigned', 'in_progress', 'completed')`
    : sql``;
  return sql`exists (select 1 from ${coachAssignments} a
    where a.tenant_id = ${coachCourses.tenantId} and a.course_id = ${coachCourses.id} ${mine})`;
}

export async function listCourses(ctx: UserContext, f: CourseFilter) {
  tenantOf(ctx);
  const where = and(
    visibleToAgent(ctx),
    f.assigned_only ? assignedOnly(ctx) : undefined,
    f.status ? eq(coachCourses.status, f.status) : undefined,
    f.category ? eq(coachCourses.category, f.category) : undefined,
    f.difficulty ? eq(coachCourses.difficulty, f.difficulty) : undefined,
  );
  const [rows, [counted]] = await ctx.db.run((q) => [
    q
      .select()
      .from(coachCourses)
      .where(where)
      .orderBy(desc(coachCourses.updatedAt), asc(coachCourses.id))
      .limit(f.limit)
      .offset((f.page - 1) * f.limit),
    q.select({ n: count() }).from(coachCourses).where(where),
  ]);
  return { rows: rows.map(presentCourse), total: counted?.n ?? 0 };
}

export async function getCourse(ctx: UserContext, courseId: string) {
  tenantOf(ctx);
  const visible = and(eq(coachCourses.id, courseId), visibleToAgent(ctx));
  const [[course], modules, lessons] = await ctx.db.run((q) => [
    q.select().from(coachCourses).where(visible),
    q.select().from(coachModules).where(eq(coachModules.courseId, courseId)),
    q.select().from(coachLessons).where(eq(coachLessons.courseId, courseId)),
  ]);
  // A course an agent may not read is not there, as another tenant's course is not there for anyone.
  if (!course) throw new NotFound('Course');
  return {
    ...presentCourse(course),
    modules: presentContent(ctx, modules.map(moduleRowOf), lessons.map(lessonRowOf)),
  };
}

/** The course, its modules and lessons: one batch, one transaction, all or nothing. */
export async function createCourse(ctx: UserContext, input: NewCourse) {
  const tenantId = tenantOf(ctx);
  const id = crypto.randomUUID();
  const { moduleRows, lessonRows } = contentRows(input.modules);
  const [[course]] = await ctx.db.run((q) => [
    q
      .insert(coachCourses)
      .values({
        id,
        tenantId,
        title: input.title,
        description: input.description ?? null,
        category: input.category,
        difficulty: input.difficulty,
        skillsCovered: input.skills_covered ?? [],
        estimatedHours: input.estimated_hours ?? null,
        status: input.status ?? 'draft',
        createdBy: ctx.actor.userId,
      })
      .returning(),
    insertModules(q, tenantId, id, moduleRows),
    insertLessons(q, tenantId, id, lessonRows),
  ]);
  return { ...presentCourse(course!), modules: presentContent(ctx, moduleRows, lessonRows) };
}

/**
 * Metadata and status change in place. New `modules` replace the whole content and bump
 * `version`, and only while the course has no assignment (409 otherwise). A replacement locks the
 * course row first and then looks for assignments: creating assignments share-locks the same row,
 * so either the assignments committed before (and this sees them) or they wait and assign the new
 * version. The lock also keeps two concurrent replacements from interleaving their modules.
 */
export async function updateCourse(ctx: UserContext, courseId: string, input: CourseUpdate) {
  const tenantId = tenantOf(ctx);
  const set: PgUpdateSetSource<typeof coachCourses> = {};
  if (input.title !== undefined) set.title = input.title;
  if (input.description !== undefined) set.description = input.description;
  if (input.category !== undefined) set.category = input.category;
  if (input.difficulty !== undefined) set.difficulty = input.difficulty;
  if (input.skills_covered !== undefined) set.skillsCovered = input.skills_covered;
  if (input.estimated_hours !== undefined) set.estimatedHours = input.estimated_hours;
  if (input.status !== undefined) set.status = input.status;
  if (input.modules) return replaceContent(ctx, tenantId, courseId, set, input.modules);

  const [[course], modules, lessons] = await ctx.db.run((q) => [
    q.update(coachCourses).set(set).where(eq(coachCourses.id, courseId)).returning(),
    q.select().from(coachModules).where(eq(coachModules.courseId, courseId)),
    q.select().from(coachLessons).where(eq(coachLessons.courseId, courseId)),
  ]);
  if (!course) throw new NotFound('Course');
  return {
    ...presentCourse(course),
    modules: presentContent(ctx, modules.map(moduleRowOf), lessons.map(lessonRowOf)),
  };
}

/** Every write after the lock is conditional on "no assignment", so a refusal changes nothing. */
async function replaceContent(
  ctx: UserContext,
  tenantId: string,
  courseId: string,
  set: PgUpdateSetSource<typeof coachCourses>,
  modules: ModuleInput[],
) {
  const content = contentRows(modules);
  const unassigned = sql`not ${courseHasAssignments(courseId)}`;
  const [locked, assigned, [course]] = await ctx.db.run((q) => [
    q.execute(sql`select id from ${coachCourses} where id = ${courseId}::uuid for update`),
    q.execute<{ assigned: boolean }>(sql`select ${courseHasAssignments(courseId)} as assigned`),
    q
      .update(coachCourses)
      .set({ ...set, version: sql`${coachCourses.version} + 1` })
      .where(and(eq(coachCourses.id, courseId), unassigned))
      .returning(),
    q.delete(coachModules).where(and(eq(coachModules.courseId, courseId), unassigned)),
    insertModules(q, tenantId, courseId, content.moduleRows),
    insertLessons(q, tenantId, courseId, content.lessonRows),
  ]);
  if (!locked.rows.length) throw new NotFound('Course');
  if (assigned.rows[0]?.assigned || !course) throw new Conflict(ASSIGNED_COURSE_CONTENT);
  return { ...presentCourse(course), modules: presentContent(ctx, content.moduleRows, content.lessonRows) };
}
