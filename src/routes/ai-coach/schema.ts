import { z } from '@hono/zod-openapi';
import { COURSE_DIFFICULTIES, COURSE_SOURCES, COURSE_STATUSES, LESSON_TYPES } from '../../db/schema';
import { orNull, Timestamp } from '../shared/schemas';

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** Limits that keep one course one reasonable request and one reasonable page. */
export const COURSE_LIMITS = {
  modules: 30,
  lessonsPerModule: 30,
  markdown: 20_000,
  questions: 30,
  options: { min: 2, max: 10 },
  skills: 30,
} as const;

const Difficulty = z.enum(COURSE_DIFFICULTIES).openapi({ description: 'How much the course expects of the agent' });
const CourseStatus = z
  .enum(COURSE_STATUSES)
  .openapi({ description: 'draft: managers only; published: every user of the tenant; archived: managers only' });
const LessonType = z.enum(LESSON_TYPES).openapi({ description: 'A quiz carries questions; the others markdown only' });

const Markdown = z
  .string()
  .max(COURSE_LIMITS.markdown, `must be at most ${COURSE_LIMITS.markdown} characters`)
  .openapi({ description: `The lesson body, Markdown, at most ${COURSE_LIMITS.markdown} characters` });

const QuestionInput = z
  .strictObject({
    prompt: text(2000).openapi({ description: 'The question, Markdown' }),
    options: z
      .array(text(500))
      .min(COURSE_LIMITS.options.min, `must offer at least ${COURSE_LIMITS.options.min} options`)
      .max(COURSE_LIMITS.options.max, `must offer at most ${COURSE_LIMITS.options.max} options`)
      .openapi({ description: 'The answers to choose from, in the order they are shown' }),
    correct: z
      .array(z.number().int().min(0, 'must be an option index (from 0)'))
      .min(1, 'must name at least one correct option')
      .openapi({ description: 'Indexes into `options` of the correct answers (more than one: choose all)' }),
    explanation: z.string().trim().max(2000).optional().openapi({ description: 'Shown after the agent has answered' }),
  })
  .superRefine((q, ctx) => {
    const outside = q.correct.filter((i) => i >= q.options.length);
    if (outside.length)
      ctx.addIssue({
        code: 'custom',
        path: ['correct'],
        message: `must be indexes of the ${q.options.length} options (0..${q.options.length - 1}); ${outside.join(', ')} is not`,
      });
    if (new Set(q.correct).size !== q.correct.length)
      ctx.addIssue({ code: 'custom', path: ['correct'], message: 'must not name an option twice' });
  })
  .openapi('QuizQuestionInput');

const LessonContentInput = z
  .strictObject({
    markdown: Markdown,
    questions: z
      .array(QuestionInput)
      .max(COURSE_LIMITS.questions, `must hold at most ${COURSE_LIMITS.questions} questions`)
      .optional()
      .openapi({ description: 'A quiz only: at least one question' }),
  })
  .openapi('LessonContentInput');

const LessonInput = z
  .strictObject({
    title: text(200),
    type: LessonType,
    content: LessonContentInput,
    estimated_minutes: z.number().int().min(1).max(600).optional().openapi({ description: 'Expected time, minutes' }),
  })
  .superRefine((l, ctx) => {
    if (l.type === 'quiz' && !l.content.questions?.length)
      ctx.addIssue({ code: 'custom', path: ['content', 'questions'], message: 'a quiz needs at least one question' });
    if (l.type !== 'quiz' && l.content.questions !== undefined)
      ctx.addIssue({ code: 'custom', path: ['content', 'questions'], message: 'only a quiz has questions' });
    if (l.type !== 'quiz' && !l.content.markdown.trim())
      ctx.addIssue({ code: 'custom', path: ['content', 'markdown'], message: 'must not be empty' });
  })
  .openapi('LessonInput');

const ModuleInput = z
  .strictObject({
    title: text(200),
    description: z.string().trim().max(2000).nullish(),
    lessons: z
      .array(LessonInput)
      .min(1, 'a module needs at least one lesson')
      .max(COURSE_LIMITS.lessonsPerModule, `must hold at most ${COURSE_LIMITS.lessonsPerModule} lessons`)
      .openapi({ description: 'In the order the agent takes them' }),
  })
  .openapi('ModuleInput');

const Modules = z
  .array(ModuleInput)
  .min(1, 'a course needs at least one module')
  .max(COURSE_LIMITS.modules, `must hold at most ${COURSE_LIMITS.modules} modules`)
  .openapi({ description: 'In the order the agent takes them; positions are assigned from this order' });

const Skills = z
  .array(text(100))
  .max(COURSE_LIMITS.skills, `must list at most ${COURSE_LIMITS.skills} skills`)
  .openapi({ description: 'Criterion names and categories the course trains' });

const Hours = z
  .number()
  .min(0)
  .max(1000)
  .openapi({ description: 'Expected time to complete, hours (kept to two decimals)' });

const courseFields = {
  title: text(200),
  description: z.string().trim().max(5000).nullish(),
  category: text(64).openapi({ description: 'Free text the tenant groups its courses by (e.g. soft_skills)' }),
  difficulty: Difficulty,
  skills_covered: Skills,
  estimated_hours: Hours.nullish(),
};

export const CreateCourse = z
  .strictObject({
    ...courseFields,
    skills_covered: Skills.optional(),
    status: z.enum(['draft', 'published']).optional().openapi({ description: 'Defaults to draft' }),
    modules: Modules,
  })
  .openapi('CreateCourse');

export const UpdateCourse = z
  .strictObject({
    title: courseFields.title.optional(),
    description: courseFields.description,
    category: courseFields.category.optional(),
    difficulty: Difficulty.optional(),
    skills_covered: Skills.optional(),
    estimated_hours: courseFields.estimated_hours,
    status: CourseStatus.optional(),
    modules: Modules.optional().openapi({
      description: 'Replaces every module and lesson (and bumps `version`); omit to keep the content',
    }),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .openapi('UpdateCourse');

export const ListCoursesQuery = z.object({
  category: z.string().trim().min(1).max(64).optional(),
  difficulty: z.enum(COURSE_DIFFICULTIES).optional(),
  status: CourseStatus.optional().openapi({
    description: 'An agent sees published courses, and drafts or archived courses only where it is assigned',
  }),
  assigned_only: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .openapi({
      description:
        'true: an agent gets the courses of its open or completed assignments; a manager, courses with any assignment',
    }),
});

const Citation = z
  .object({
    call_id: z.uuid().openapi({ description: 'The call the quote is from' }),
    quote: z.string().openapi({ description: "Verbatim from that call's evaluation evidence" }),
    start_seconds: z.number().nullable().optional().openapi({ description: 'Where in the call, seconds' }),
  })
  .openapi('LessonCitation');

const DroppedCitation = z
  .object({
    module: z.number().int().openapi({ description: 'Module position, from 0' }),
    lesson: z.number().int().openapi({ description: 'Lesson position within the module, from 0' }),
    call_id: z.string(),
    quote: z.string(),
    reason: z.string(),
  })
  .openapi('DroppedCitation');

const GeneratedFrom = z
  .object({
    agent_id: z.string().openapi({ description: 'The agent whose evaluations the course was written from' }),
    call_ids: z.array(z.uuid()).openapi({ description: 'The calls whose evidence the model was given' }),
    criterion_ids: z
      .array(z.string())
      .openapi({ description: 'The weak criteria it trains (criterion ids, or template keys)' }),
    evaluation_ids: z.array(z.uuid()).optional().openapi({ description: 'The evaluations the evidence came from' }),
    weakness_areas: z
      .array(z.string())
      .optional()
      .openapi({ description: 'The weakness areas asked for, or the defaults taken when none were' }),
    model: z.string().optional().openapi({ description: 'The model that wrote it' }),
    dropped_citations: z
      .array(DroppedCitation)
      .optional()
      .openapi({ description: 'Citations the model gave that were not among the quotes it was sent' }),
  })
  .openapi('CourseGeneratedFrom');

export const Course = z
  .object({
    id: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    category: z.string(),
    difficulty: Difficulty,
    skills_covered: Skills,
    estimated_hours: z.number().nullable().openapi({ description: 'Expected time to complete, hours' }),
    status: CourseStatus,
    source: z.enum(COURSE_SOURCES).openapi({ description: 'manual: written by a manager; generated: by the coach' }),
    generated_from: orNull(GeneratedFrom),
    version: z.number().int().openapi({ description: 'Starts at 1; bumped whenever the content is replaced' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Course');

const QuizQuestion = z
  .object({
    prompt: z.string().openapi({ description: 'The question, Markdown' }),
    options: z.array(z.string()).openapi({ description: 'The answers to choose from; answers name them by index' }),
    correct: z
      .array(z.number().int())
      .optional()
      .openapi({ description: 'Indexes of the correct options; managers only, never sent to an agent' }),
    explanation: z.string().optional().openapi({ description: 'Managers only, never sent to an agent' }),
  })
  .openapi('QuizQuestion');

export const Lesson = z
  .object({
    id: z.uuid(),
    position: z.number().int().openapi({ description: 'Order within the module, from 0' }),
    title: z.string(),
    type: LessonType,
    content: z
      .object({
        markdown: z.string(),
        questions: z.array(QuizQuestion).optional().openapi({ description: 'A quiz only' }),
        citations: z.array(Citation).optional().openapi({
          description:
            "Generated courses, managers only: the quotes from the agent's calls the lesson uses, each checked",
        }),
      })
      .openapi('LessonContent'),
    estimated_minutes: z.number().int().nullable().openapi({ description: 'Expected time, minutes' }),
  })
  .openapi('Lesson');

export const Module = z
  .object({
    id: z.uuid(),
    position: z.number().int().openapi({ description: 'Order within the course, from 0' }),
    title: z.string(),
    description: z.string().nullable(),
    lessons: z.array(Lesson),
  })
  .openapi('Module');

export const CourseWithContent = Course.extend({ modules: z.array(Module) }).openapi('CourseWithContent');

/** Limits of one generation request. */
export const GENERATE_LIMITS = { weaknessAreas: 10, callIds: 50 } as const;

export const GenerateCourse = z
  .strictObject({
    agent_id: z.uuid('must be a UUID').openapi({ description: 'The agent the course is for' }),
    weakness_areas: z
      .array(text(100))
      .max(GENERATE_LIMITS.weaknessAreas, `must list at most ${GENERATE_LIMITS.weaknessAreas} areas`)
      .openapi({
        description:
          "Criterion ids or categories to train; empty: the agent's criteria with failures and the lowest share of points over 90 days",
      }),
    call_ids: z
      .array(z.uuid('must be a UUID'))
      .max(GENERATE_LIMITS.callIds, `must list at most ${GENERATE_LIMITS.callIds} calls`)
      .optional()
      .openapi({ description: "Only these calls' evaluations are used; each must be the agent's" }),
  })
  .openapi('GenerateCourse');

export const GeneratedCourse = z
  .object({
    course_id: z.uuid().openapi({ description: 'The new draft course (source generated)' }),
    recommended_modules: z
      .array(
        z.object({
          module_id: z.uuid(),
          position: z.number().int(),
          title: z.string(),
          criterion_id: z.string().nullable().openapi({ description: 'The weak criterion the module trains' }),
          reason: z.string(),
        }),
      )
      .openapi({ description: 'The modules to take first, most important first' }),
    dropped_citations: z
      .number()
      .int()
      .openapi({ description: 'Citations dropped because they were not among the quotes sent (see generated_from)' }),
  })
  .openapi('GeneratedCourse');
