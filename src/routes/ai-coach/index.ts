import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as courses from '../../services/ai-coach/courses';
import {
  bearer,
  jsonBody,
  jsonResponse,
  pageOf,
  paginated,
  PaginationQuery,
  problemResponses,
  Uuid,
} from '../shared/schemas';
import { generateRouter } from './generate';
import { coachRulesRouter } from './rules';
import { assignmentsRouter } from './assignments';
import { recommendationsRouter } from './recommendations';
import { Course, CourseWithContent, CreateCourse, ListCoursesQuery, UpdateCourse } from './schema';

const tags = ['AI coach'];
const CourseParams = z.object({ course_id: Uuid('course_id') });

export const aiCoachRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/courses',
      operationId: 'listCoachCourses',
      tags,
      security: bearer,
      summary: 'Courses of the tenant (agents: published courses, and those they are assigned)',
      request: { query: PaginationQuery.extend(ListCoursesQuery.shape) },
      responses: {
        200: jsonResponse(paginated(Course, 'CoursePage'), 'Courses, most recently changed first'),
        ...problemResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await courses.listCourses(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/courses',
      operationId: 'createCoachCourse',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Create a course with its modules and lessons, all or nothing (manager)',
      request: { body: jsonBody(CreateCourse) },
      responses: { 201: jsonResponse(CourseWithContent, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await courses.createCourse(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/courses/{course_id}',
      operationId: 'getCoachCourse',
      tags,
      security: bearer,
      summary: 'A course with its modules and lessons in order (agents: published or assigned, no quiz answers)',
      request: { params: CourseParams },
      responses: { 200: jsonResponse(CourseWithContent, 'Course'), ...problemResponses },
    }),
    async (c) => c.json(await courses.getCourse(c.get('ctx'), c.req.valid('param').course_id), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/courses/{course_id}',
      operationId: 'updateCoachCourse',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Change a course, publish or archive it; `modules` replaces the content and bumps `version` (manager)',
      request: { params: CourseParams, body: jsonBody(UpdateCourse) },
      responses: { 200: jsonResponse(CourseWithContent, 'Updated'), ...problemResponses },
    }),
    async (c) =>
      c.json(await courses.updateCourse(c.get('ctx'), c.req.valid('param').course_id, c.req.valid('json')), 200),
  )
  .route('/', generateRouter)
  .route('/rules', coachRulesRouter)
  .route('/', assignmentsRouter)
  .route('/', recommendationsRouter);
