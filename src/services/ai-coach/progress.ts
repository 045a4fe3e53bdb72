/**
 * Progress on an assignment, per lesson, after xAPI/SCORM: completion (`status`) apart from
 * success (`success`, a quiz's passed/failed). The rules, all enforced in SQL:
 * - completion never goes backwards: a lesson once completed stays completed, its `progress`
 *   never decreases, and `started_at`/`completed_at` keep their first value;
 * - a quiz is scored here from the submitted answers against the stored correct options (a
 *   question is right when the selected set equals the correct set); submitting completes the
 *   lesson whatever the result; the lesson keeps its best score, and once passed stays passed;
 * - the assignment is rolled up in the same statement: share of lessons completed, mean of the
 *   quizzes' best scores, `in_progress` on the first progress and `completed` (with
 *   `completed_at`) when every lesson is;
 * - nothing is recorded on a cancelled or completed assignment (409), nor by anyone but the
 *   assigned agent.
 */
import { sql } from 'drizzle-orm';
import type { UserContext } from '../../context';
import {
  coachAssignments,
  coachLessons,
  coachModules,
  coachProgress,
  type LESSON_TYPES,
  PROGRESS_STATUSES,
} from '../../db/schema';
import { type AssignmentJson, assignmentJson, lockAssignment } from '../../db/statements/coach-assignments';
import { Conflict, Forbidden, Invalid, NotFound } from '../../lib/errors';
import { iso, tenantOf } from '../scope';
import { isAgent, presentAssignment } from './assignments';

/** A quiz is passed at 80 % of its questions right. */
export const QUIZ_PASS_MARK = 0.8;

export const PROGRESS_TYPES = ['started', 'completed', 'quiz_submitted', 'time_spent'] as const;

export interface ProgressInput {
  module_id: string;
  lesson_id?: string;
  progress_type: (typeof PROGRESS_TYPES)[number];
  /** Recorded for lessons other than quizzes (best kept); a quiz's score is the server's. */
  score?: number;
  /** quiz_submitted: per question, the indexes of the options chosen. */
  answers?: number[][];
  /** time_spent: seconds to add. */
  seconds?: number;
}

type LessonProgressRow = {
  module_id: string;
  lesson_id: string;
  status: (typeof PROGRESS_STATUSES)[number];
  progress: number | string;
  score_scaled: number | string | null;
  success: 'passed' | 'failed' | null;
  attempts: number;
  time_spent_seconds: number;
  started_at: string | null;
  completed_at: string | null;
};

const num = (v: number | string | null) => (v === null ? null : Number(v));

function presentLessonProgress(p: LessonProgressRow) {
  return {
    module_id: p.module_id,
    lesson_id: p.lesson_id,
    status: p.status,
    progress: Number(p.progress),
    score_scaled: num(p.score_scaled),
    success: p.success,
    attempts: p.attempts,
    time_spent_seconds: p.time_spent_seconds,
    started_at: iso(p.started_at),
    completed_at: iso(p.completed_at),
  };
}

/** The assignment's rolled-up state and every lesson of its course, `not_started` where untouched. */
export async function getProgress(ctx: UserContext, assignmentId: string) {
  tenantOf(ctx);
  const own = isAgent(ctx) ? sql`and a.agent_id = ${ctx.actor.userId}::uuid` : sql``;
  const [found, lessons] = await ctx.db.run((q) => [
    q.execute<{ assignment: AssignmentJson }>(
      sql`select ${assignmentJson(sql`a`)} as assignment from ${coachAssignments} a where a.id = ${assignmentId}::uuid ${own}`,
    ),
    q.execute<
      LessonProgressRow & {
        module_position: number;
        position: number;
        title: string;
        type: (typeof LESSON_TYPES)[number];
      }
    >(sql`
      select l.module_id, l.id as lesson_id, m.position as module_position, l.position, l.title, l.type,
             coalesce(p.status, 'not_started') as status, coalesce(p.progress, 0) as progress, p.score_scaled,
             p.success, coalesce(p.attempts, 0) as attempts, coalesce(p.time_spent_seconds, 0) as time_spent_seconds,
             p.started_at, p.completed_at
        from ${coachAssignments} a
        join ${coachLessons} l on l.tenant_id = a.tenant_id and l.course_id = a.course_id
        join ${coachModules} m on m.tenant_id = l.tenant_id and m.id = l.module_id
        left join ${coachProgress} p on p.tenant_id = a.tenant_id and p.assignment_id = a.id and p.lesson_id = l.id
       where a.id = ${assignmentId}::uuid ${own}
       order by m.position, l.position`),
  ]);
  const row = found.rows[0];
  if (!row) throw new NotFound('Assignment');
  return {
    assignment: presentAssignment(row.assignment),
    lessons: lessons.rows.map((l) => ({
      ...presentLessonProgress(l),
      module_position: l.module_position,
      position: l.position,
      title: l.title,
      type: l.type,
    })),
  };
}

type Verdict =
  | 'ok'
  | 'not_found'
  | 'closed'
  | 'module'
  | 'lesson'
  | 'not_quiz'
  | 'quiz_needs_answers'
  | 'answer_count'
  | 'answer_range';

type Recorded = {
  verdict: Verdict;
  closed_status: string | null;
  questions: number;
  score: number | string | null;
  right: number;
  results: { question: number; right: boolean; explanation: string | null }[] | null;
  lesson: LessonProgressRow | null;
  assignment: AssignmentJson | null;
};

/**
 * The batch: the assignment row is locked first, so concurrent posts on one assignment apply one
 * after the other; then ONE statement checks the input against the course (the verdict), writes
 * the lesson row and rolls the assignment up from every lesson's state after that write. The
 * writes run only on an `ok` verdict, so bad input leaves nothing behind.
 */
function recordStatement(ctx: UserContext, assignmentId: string, p: ProgressInput) {
  const type = p.progress_type;
  const lessonId = p.lesson_id ?? null;
  const answers = p.answers ? JSON.stringify(p.answers) : null;
  const completes = type === 'completed' || type === 'quiz_submitted';
  return sql`
    with a as (
      select * from ${coachAssignments} where id = ${assignmentId}::uuid and agent_id = ${ctx.actor.userId}::uuid
    ),
    m as (
      select mo.id from ${coachModules} mo join a on mo.tenant_id = a.tenant_id and mo.course_id = a.course_id
       where mo.id = ${p.module_id}::uuid
    ),
    l as (
      select le.* from ${coachLessons} le join a on le.tenant_id = a.tenant_id and le.course_id = a.course_id
       where le.id = ${lessonId}::uuid and le.module_id = ${p.module_id}::uuid
    ),
    questions as (
      select (x.n - 1)::int as i, x.q
        from l, jsonb_array_elements(case when l.type = 'quiz' then l.content -> 'questions' else '[]'::jsonb end)
             with ordinality as x(q, n)
    ),
    graded as (
      select i, q ->> 'explanation' as explanation,
             (select coalesce(array_agg(distinct c::int order by c::int), '{}'::int[])
                from jsonb_array_elements_text(q -> 'correct') as c)
             = (select coalesce(array_agg(distinct s::int order by s::int), '{}'::int[])
                  from jsonb_array_elements_text(coalesce(${answers}::jsonb -> i, '[]'::jsonb)) as s) as right_answer,
             coalesce((select bool_or(s::int >= jsonb_array_length(q -> 'options'))
                         from jsonb_array_elements_text(coalesce(${answers}::jsonb -> i, '[]'::jsonb)) as s), false)
               as out_of_range
        from questions
    ),
    quiz as (
      select count(*)::int as total, (count(*) filter (where right_answer))::int as right_n,
             coalesce(bool_or(out_of_range), false) as bad_range,
             case when count(*) > 0 then (count(*) filter (where right_answer))::numeric / count(*) end as score
        from graded
    ),
    verdict as (
      select case
        when not exists (select 1 from a) then 'not_found'
        when (select status from a) in ('completed', 'cancelled') then 'closed'
        when not exists (select 1 from m) then 'module'
        when ${lessonId}::uuid is not null and not exists (select 1 from l) then 'lesson'
        when ${type}::text = 'quiz_submitted' and (select type from l) <> 'quiz' then 'not_quiz'
        when ${type}::text = 'completed' and (select type from l) = 'quiz' then 'quiz_needs_answers'
        when ${type}::text = 'quiz_submitted' and jsonb_array_length(${answers}::jsonb) <> (select total from quiz)
          then 'answer_count'
        when ${type}::text = 'quiz_submitted' and (select bad_range from quiz) then 'answer_range'
        else 'ok' end as v
    ),
    written as (
      insert into ${coachProgress} as cp (tenant_id, assignment_id, agent_id, course_id, module_id, lesson_id, status,
             progress, score_scaled, success, attempts, time_spent_seconds, started_at, completed_at)
      select a.tenant_id, a.id, a.agent_id, a.course_id, l.module_id, l.id,
             ${completes ? 'completed' : 'in_progress'}::text, ${completes ? 1 : 0}::numeric,
             case when ${type}::text = 'quiz_submitted' then round(quiz.score, 4)
                  when l.type <> 'quiz' then ${p.score ?? null}::numeric end,
             case when ${type}::text = 'quiz_submitted'
                  then case when quiz.score >= ${QUIZ_PASS_MARK}::numeric then 'passed' else 'failed' end end,
             ${type === 'quiz_submitted' ? 1 : 0}::int, ${p.seconds ?? 0}::int, now(), ${completes ? sql`now()` : sql`null::timestamptz`}
        from a, l, quiz, verdict
       where verdict.v = 'ok'
      on conflict (tenant_id, assignment_id, lesson_id) do update set
        status = case when cp.status = 'completed' or excluded.status = 'completed' then 'completed' else 'in_progress' end,
        progress = greatest(cp.progress, excluded.progress),
        score_scaled = greatest(cp.score_scaled, excluded.score_scaled),
        success = case when 'passed' in (cp.success, excluded.success) then 'passed'
                       else coalesce(excluded.success, cp.success) end,
        attempts = cp.attempts + excluded.attempts,
        time_spent_seconds = cp.time_spent_seconds + excluded.time_spent_seconds,
        started_at = coalesce(cp.started_at, excluded.started_at),
        completed_at = coalesce(cp.completed_at, excluded.completed_at)
      returning cp.*
    ),
    lesson_state as (
      select cl.type,
             case when w.lesson_id is not null then w.status else coalesce(p.status, 'not_started') end as status,
             case when w.lesson_id is not null then w.score_scaled else p.score_scaled end as score_scaled
        from a
        join ${coachLessons} cl on cl.tenant_id = a.tenant_id and cl.course_id = a.course_id
        left join ${coachProgress} p on p.tenant_id = a.tenant_id and p.assignment_id = a.id and p.lesson_id = cl.id
        left join written w on w.lesson_id = cl.id
    ),
    totals as (
      select count(*) as total, count(*) filter (where status = 'completed') as done,
             avg(score_scaled) filter (where type = 'quiz' and score_scaled is not null) as quiz_mean
        from lesson_state
    ),
    rolled as (
      update ${coachAssignments} ca set
        progress = round(totals.done::numeric / greatest(totals.total, 1), 4),
        score_scaled = round(totals.quiz_mean, 4),
        status = case when totals.done = totals.total then 'completed' else 'in_progress' end,
        started_at = coalesce(ca.started_at, now()),
        completed_at = case when totals.done = totals.total then coalesce(ca.completed_at, now()) end
        from totals, verdict
       where ca.id = ${assignmentId}::uuid and verdict.v = 'ok'
      returning ${assignmentJson(sql`ca`)} as assignment
    )
    select verdict.v as verdict, (select status from a) as closed_status, quiz.total as questions, quiz.score,
           quiz.right_n as right,
           (select json_agg(json_build_object('question', g.i, 'right', g.right_answer, 'explanation', g.explanation)
                            order by g.i) from graded g) as results,
           (select row_to_json(w) from written w) as lesson,
           (select r.assignment from rolled r) as assignment
      from verdict, quiz`;
}

/** The lesson row and the assignment's rolled-up state after recording; a quiz's result after submitting it. */
export async function recordProgress(ctx: UserContext, assignmentId: string, input: ProgressInput) {
  tenantOf(ctx);
  // Progress is the learner's own statement of what it did; a manager cannot make it for them.
  if (!isAgent(ctx)) throw new Forbidden('Only the assigned agent records progress on an assignment.');
  const [, recorded] = await ctx.db.run((q) => [
    lockAssignment(q, assignmentId),
    q.execute<Recorded>(recordStatement(ctx, assignmentId, input)),
  ]);
  const r = recorded.rows[0]!;
  switch (r.verdict) {
    case 'not_found':
      throw new NotFound('Assignment');
    case 'closed':
      throw new Conflict(`The assignment is ${r.closed_status}; no more progress can be recorded on it.`);
    case 'module':
      throw new Invalid("The module is not part of the assignment's course.", [
        { field: 'module_id', message: "is not a module of the assignment's course" },
      ]);
    case 'lesson':
      throw new Invalid('The lesson is not part of that module.', [
        { field: 'lesson_id', message: 'is not a lesson of module_id' },
      ]);
    case 'not_quiz':
      throw new Invalid('Only a quiz lesson can be submitted.', [
        { field: 'progress_type', message: 'quiz_submitted is for quiz lessons only' },
      ]);
    case 'quiz_needs_answers':
      throw new Invalid('A quiz is completed by submitting its answers.', [
        { field: 'progress_type', message: 'use quiz_submitted with answers for a quiz lesson' },
      ]);
    case 'answer_count':
      throw new Invalid('Answer every question of the quiz.', [
        { field: 'answers', message: `must hold one answer per question (${r.questions})` },
      ]);
    case 'answer_range':
      throw new Invalid('An answer names an option the question does not have.', [
        { field: 'answers', message: 'must name option indexes of each question' },
      ]);
  }
  const quiz =
    input.progress_type === 'quiz_submitted'
      ? {
          score_scaled: Math.round(Number(r.score) * 10_000) / 10_000,
          passed: Number(r.score) >= QUIZ_PASS_MARK,
          pass_mark: QUIZ_PASS_MARK,
          right: r.right,
          total: r.questions,
          questions: (r.results ?? []).map((q) => ({
            question: q.question,
            right: q.right,
            ...(q.explanation ? { explanation: q.explanation } : {}),
          })),
        }
      : null;
  return {
    lesson: r.lesson ? presentLessonProgress(r.lesson) : null,
    assignment: presentAssignment(r.assignment!),
    quiz,
  };
}
