import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as schedules from '../../services/reports/schedules';
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
import { CreateReportSchedule, ReportSchedule, UpdateReportSchedule } from './schedules-schema';

const tags = ['Reports'];
const ScheduleParams = z.object({ schedule_id: Uuid('schedule_id') });
const managers = [requireRole('manager')];

/**
 * Scheduled reports, managers and up: what is generated when, and who gets the link by email.
 * Mounted at /api/reports/scheduled, ahead of the routes of single reports.
 */
export const reportSchedulesRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listReportSchedules',
      tags,
      security: bearer,
      middleware: managers,
      summary: "The tenant's report schedules, newest first, each with its next runs (manager)",
      request: { query: PaginationQuery },
      responses: {
        200: jsonResponse(paginated(ReportSchedule, 'ReportSchedulePage'), 'Schedules'),
        ...problemResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await schedules.listSchedules(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createReportSchedule',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Schedule a report: a cron expression in the tenant time zone, and the recipients of its link (manager)',
      request: { body: jsonBody(CreateReportSchedule) },
      responses: { 201: jsonResponse(ReportSchedule, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await schedules.createSchedule(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/{schedule_id}',
      operationId: 'updateReportSchedule',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Change a report schedule; new recipients resume a paused one (manager)',
      request: { params: ScheduleParams, body: jsonBody(UpdateReportSchedule) },
      responses: { 200: jsonResponse(ReportSchedule, 'Updated'), ...problemResponses },
    }),
    async (c) =>
      c.json(await schedules.updateSchedule(c.get('ctx'), c.req.valid('param').schedule_id, c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{schedule_id}',
      operationId: 'deleteReportSchedule',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Delete a report schedule; the reports it made stay (manager)',
      request: { params: ScheduleParams },
      responses: { 204: { description: 'Deleted' }, ...problemResponses },
    }),
    async (c) => {
      await schedules.deleteSchedule(c.get('ctx'), c.req.valid('param').schedule_id);
      return c.body(null, 204);
    },
  );
