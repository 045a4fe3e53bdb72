import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as assignments from '../../services/ai-coach/assignments';
import * as progress from '../../services/ai-coach/progress';
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
import {
  Assignment,
  AssignmentProgress,
  CreateAssignments,
  CreatedAssignments,
  ListAssignmentsQuery,
  ProgressRecorded,
  RecordProgress,
  UpdateAssignment,
} from './assignment-schema';

const tags = ['AI coach'];
const AssignmentParams = z.object({ assignment_id: Uuid('assignment_id') });

export const assignmentsRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/assignments',
      operationId: 'listCoachAssignments',
      tags,
      security: bearer,
      summary: 'Assignments of the tenant (agents: their own), soonest due first',
      request: { query: PaginationQuery.extend(ListAssignmentsQuery.shape) },
      responses: {
        200: jsonResponse(paginated(Assignment, 'CoachAssignmentPage'), 'Assignments, soonest due first, undated last'),
        ...problemResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await assignments.listAssignments(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/assignments',
      operationId: 'createCoachAssignments',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Assign a course to agents; those already holding an open assignment of it are reported (manager)',
      request: { body: jsonBody(CreateAssignments) },
      responses: { 201: jsonResponse(CreatedAssignments, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await assignments.createAssignments(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/assignments/{assignment_id}',
      operationId: 'getCoachAssignment',
      tags,
      security: bearer,
      summary: 'An assignment (agents: their own)',
      request: { params: AssignmentParams },
      responses: { 200: jsonResponse(Assignment, 'Assignment'), ...problemResponses },
    }),
    async (c) => c.json(await assignments.getAssignment(c.get('ctx'), c.req.valid('param').assignment_id), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/assignments/{assignment_id}',
      operationId: 'updateCoachAssignment',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Change the due date or priority of an open assignment, or cancel it (manager)',
      request: { params: AssignmentParams, body: jsonBody(UpdateAssignment) },
      responses: { 200: jsonResponse(Assignment, 'Updated'), ...problemResponses },
    }),
    async (c) =>
      c.json(
        await assignments.updateAssignment(c.get('ctx'), c.req.valid('param').assignment_id, c.req.valid('json')),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/assignments/{assignment_id}/progress',
      operationId: 'getCoachAssignmentProgress',
      tags,
      security: bearer,
      summary: "The assignment's rolled-up progress and every lesson's (agents: their own)",
      request: { params: AssignmentParams },
      responses: { 200: jsonResponse(AssignmentProgress, 'Progress'), ...problemResponses },
    }),
    async (c) => c.json(await progress.getProgress(c.get('ctx'), c.req.valid('param').assignment_id), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/assignments/{assignment_id}/progress',
      operationId: 'recordCoachProgress',
      tags,
      security: bearer,
      summary: 'Record progress on a lesson, or submit a quiz (scored here); the assigned agent only',
      request: { params: AssignmentParams, body: jsonBody(RecordProgress) },
      responses: {
        200: jsonResponse(ProgressRecorded, 'Recorded, with the rolled-up assignment'),
        ...problemResponses,
      },
    }),
    async (c) =>
      c.json(await progress.recordProgress(c.get('ctx'), c.req.valid('param').assignment_id, c.req.valid('json')), 200),
  );
