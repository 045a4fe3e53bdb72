/**
 * AI coach courses: a course, its ordered modules and their ordered lessons, written and read in
 * one database round trip each. Quiz answers are stored with the lesson and removed here for
 * agents, so no agent response ever carries them.
 *
 * Not yet here: assignments. When they land, an agent also sees the drafts it is assigned, and a
 * content change to a course with assignments must keep progress meaningful (a new version the
 * assignment pins, or 409 for destructive changes).
 */
import { and, asc, count, desc, eq, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { UserContext } from '../../context';
import { atLeast } from '../../auth/roles';
import { coachCourses, coachLessons, coachModules, type LessonContent } from '../../db/schema';
import { insertLessons, insertModules, type LessonRow, type ModuleRow } from '../../db/statements/coach-courses';
import { NotFound } from '../../lib/errors';
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

/** Agents see published courses only (and, once assignments exist, drafts assigned to them). */
export async function listCourses(ctx: UserContext, f: CourseFilter) {
  tenantOf(ctx);
  const where = and(
    isAgent(ctx) ? eq(coachCourses.status, 'published') : undefined,
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
  const visible = and(eq(coachCourses.id, courseId), isAgent(ctx) ? eq(coachCourses.status, 'published') : undefined);
  const [[course], modules, lessons] = await ctx.db.run((q) => [
    q.select().from(coachCourses).where(visible),
    q.select().from(coachModules).where(eq(coachModules.courseId, courseId)),
    q.select().from(coachLessons).where(eq(coachLessons.courseId, courseId)),
  ]);
  // A draft is not there for an agent, as another tenant's course is not there for anyone.
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
 * `version`. The update comes first and locks the course row, so two concurrent replacements
 * run one after the other and never interleave their modules.
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
  const content = input.modules ? contentRows(input.modules) : null;
  if (content) set.version = sql`${coachCourses.version} + 1`;

  const [[course], , , , modules, lessons] = await ctx.db.run((q) => [
    q.update(coachCourses).set(set).where(eq(coachCourses.id, courseId)).returning(),
    content && q.delete(coachModules).where(eq(coachModules.courseId, courseId)),
    content && insertModules(q, tenantId, courseId, content.moduleRows),
    content && insertLessons(q, tenantId, courseId, content.lessonRows),
    !content && q.select().from(coachModules).where(eq(coachModules.courseId, courseId)),
    !content && q.select().from(coachLessons).where(eq(coachLessons.courseId, courseId)),
  ]);
  if (!course) throw new NotFound('Course');
  const moduleRows = content?.moduleRows ?? modules!.map(moduleRowOf);
  const lessonRows = content?.lessonRows ?? lessons!.map(lessonRowOf);
  return { ...presentCourse(course), modules: presentContent(ctx, moduleRows, lessonRows) };
}
