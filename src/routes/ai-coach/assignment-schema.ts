import { z } from '@hono/zod-openapi';
import {
  ASSIGNMENT_PRIORITIES,
  ASSIGNMENT_REASONS,
  ASSIGNMENT_STATES,
  PROGRESS_STATUSES,
  PROGRESS_SUCCESS,
  LESSON_TYPES,
} from '../../db/schema';
import { PROGRESS_TYPES, QUIZ_PASS_MARK } from '../../services/ai-coach/progress';
import { orNull, Timestamp } from '../shared/schemas';

export const ASSIGNMENT_LIMITS = { agents: 200, questions: 30, options: 10, secondsPerPost: 86_400 } as const;

const SHOWN_STATUSES = [...ASSIGNMENT_STATES, 'overdue'] as const;

const ShownStatus = z.enum(SHOWN_STATUSES).openapi({
  description:
    'assigned, in_progress, completed or cancelled as stored; an open (assigned or in_progress) assignment whose ' +
    'due date has passed (UTC) is shown, and filtered, as overdue',
});
const Priority = z.enum(ASSIGNMENT_PRIORITIES).openapi({ description: 'Defaults to normal' });

const todayUtc = () => new Date().toISOString().slice(0, 10);

/** A calendar day, YYYY-MM-DD, that exists. */
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((d) => {
    const parsed = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === d;
  }, 'must be a date that exists')
  .openapi({ example: '2026-12-31' });

const DueDate = Day.refine((d) => d >= todayUtc(), 'must not be in the past (UTC)').openapi({
  description: 'The day the course should be completed by (UTC); today or later',
});

const AgentId = z.uuid({ message: 'must be a UUID' });

export const CreateAssignments = z
  .strictObject({
    course_id: z
      .uuid({ message: 'must be a UUID' })
      .openapi({ description: 'A draft or published course of the tenant' }),
    agent_ids: z
      .array(AgentId)
      .min(1, 'must name at least one agent')
      .max(ASSIGNMENT_LIMITS.agents, `must name at most ${ASSIGNMENT_LIMITS.agents} agents`)
      .superRefine((ids, ctx) => {
        ids.forEach((id, i) => {
          if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: [i], message: 'is named twice' });
        });
      })
      .openapi({ description: 'Active users of the tenant with the role agent; all of them or none are assigned' }),
    due_date: orNull(DueDate).optional(),
    priority: Priority.optional(),
  })
  .openapi('CreateCoachAssignments');

export const UpdateAssignment = z
  .strictObject({
    due_date: orNull(DueDate).optional().openapi({ description: 'null removes the due date' }),
    priority: Priority.optional(),
    status: z
      .literal('cancelled')
      .optional()
      .openapi({ description: 'Cancels an open assignment (a completed one cannot be cancelled: 409)' }),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .openapi('UpdateCoachAssignment');

export const ListAssignmentsQuery = z.object({
  status: ShownStatus.optional(),
  agent_id: z.uuid({ message: 'must be a UUID' }).optional().openapi({ description: 'Managers: one agent' }),
  course_id: z.uuid({ message: 'must be a UUID' }).optional(),
  team_id: z.uuid({ message: 'must be a UUID' }).optional().openapi({ description: 'Agents of this team' }),
  due_date: Day.optional().openapi({ description: 'Due exactly on this day' }),
  due_before: Day.optional().openapi({ description: 'Due on or before this day (undated assignments left out)' }),
  due_after: Day.optional().openapi({ description: 'Due on or after this day (undated assignments left out)' }),
});

export const Assignment = z
  .object({
    id: z.uuid(),
    course_id: z.uuid(),
    course_title: z.string().nullable().openapi({ description: 'null when the caller can no longer read the course' }),
    course_version: z.number().int().openapi({ description: 'The course version assigned' }),
    agent_id: z.uuid(),
    assigned_by: z.string().nullable().openapi({ description: 'The manager; null when a coaching rule assigned it' }),
    due_date: z.string().nullable().openapi({ example: '2026-12-31' }),
    priority: Priority,
    reason: z.enum(ASSIGNMENT_REASONS),
    status: ShownStatus,
    progress: z.number().openapi({ description: 'Share of the course’s lessons completed, 0..1' }),
    score_scaled: z.number().nullable().openapi({ description: 'Mean best score of the quizzes submitted, 0..1' }),
    started_at: Timestamp.nullable(),
    completed_at: Timestamp.nullable(),
    cancelled_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('CoachAssignment');

export const CreatedAssignments = z
  .object({
    created: z.array(Assignment),
    already_assigned: z
      .array(z.object({ agent_id: z.uuid(), assignment_id: z.uuid() }))
      .openapi({ description: 'Agents who already hold an open assignment of the course: not assigned again' }),
  })
  .openapi('CreatedCoachAssignments');

const LessonProgress = z
  .object({
    module_id: z.uuid(),
    lesson_id: z.uuid(),
    status: z.enum(PROGRESS_STATUSES).openapi({ description: 'Completion; never goes backwards' }),
    progress: z.number().openapi({ description: '0..1; never decreases' }),
    score_scaled: z.number().nullable().openapi({ description: 'Best score, 0..1' }),
    success: z
      .enum(PROGRESS_SUCCESS)
      .nullable()
      .openapi({ description: 'A quiz: passed once any attempt reached the pass mark; apart from completion' }),
    attempts: z.number().int(),
    time_spent_seconds: z.number().int(),
    started_at: Timestamp.nullable(),
    completed_at: Timestamp.nullable(),
  })
  .openapi('CoachLessonProgress');

export const AssignmentProgress = z
  .object({
    assignment: Assignment,
    lessons: z
      .array(
        LessonProgress.extend({
          module_position: z.number().int(),
          position: z.number().int(),
          title: z.string(),
          type: z.enum(LESSON_TYPES),
        }),
      )
      .openapi({ description: 'Every lesson of the course in order; not_started where nothing was recorded' }),
  })
  .openapi('CoachAssignmentProgress');

export const RecordProgress = z
  .strictObject({
    module_id: z.uuid({ message: 'must be a UUID' }),
    lesson_id: z.uuid({ message: 'must be a UUID' }).optional().openapi({
      description: 'Required except for started (which then only starts the assignment)',
    }),
    progress_type: z.enum(PROGRESS_TYPES),
    score: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .openapi({ description: 'A lesson other than a quiz, 0..1 (best kept); ignored for a quiz, scored here' }),
    answers: z
      .array(
        z
          .array(z.number().int().min(0, 'must be an option index (from 0)'))
          .max(ASSIGNMENT_LIMITS.options)
          .refine((a) => new Set(a).size === a.length, 'must not name an option twice'),
      )
      .min(1)
      .max(ASSIGNMENT_LIMITS.questions)
      .optional()
      .openapi({ description: 'quiz_submitted: per question in order, the indexes of the options chosen' }),
    seconds: z
      .number()
      .int()
      .min(1)
      .max(ASSIGNMENT_LIMITS.secondsPerPost)
      .optional()
      .openapi({ description: `time_spent: seconds to add, 1..${ASSIGNMENT_LIMITS.secondsPerPost}` }),
  })
  .superRefine((b, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (b.progress_type !== 'started' && !b.lesson_id) issue('lesson_id', `is required for ${b.progress_type}`);
    if (b.progress_type === 'quiz_submitted' && !b.answers) issue('answers', 'is required for quiz_submitted');
    if (b.progress_type !== 'quiz_submitted' && b.answers) issue('answers', 'is for quiz_submitted only');
    if (b.progress_type === 'time_spent' && b.seconds === undefined) issue('seconds', 'is required for time_spent');
    if (b.progress_type !== 'time_spent' && b.seconds !== undefined) issue('seconds', 'is for time_spent only');
  })
  .openapi('RecordCoachProgress');

export const ProgressRecorded = z
  .object({
    lesson: orNull(LessonProgress),
    assignment: Assignment,
    quiz: orNull(
      z
        .object({
          score_scaled: z.number().openapi({ description: 'This attempt: questions right / questions' }),
          passed: z.boolean().openapi({ description: `This attempt reached the pass mark (${QUIZ_PASS_MARK})` }),
          pass_mark: z.number(),
          right: z.number().int(),
          total: z.number().int(),
          questions: z
            .array(
              z.object({
                question: z.number().int().openapi({ description: 'Index of the question, from 0' }),
                right: z.boolean(),
                explanation: z.string().optional(),
              }),
            )
            .openapi({ description: 'Which answers were right; the correct options themselves are not revealed' }),
        })
        .openapi('CoachQuizResult'),
    ),
  })
  .openapi('CoachProgressRecorded');
