import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import { ProblemSchema } from '../../lib/problem';
import * as reports from '../../services/reports/reports';
import {
  bearer,
  jsonBody,
  jsonResponse,
  pageOf,
  PaginationMeta,
  PaginationQuery,
  problemResponses,
  Uuid,
} from '../shared/schemas';
import { CreateReport, ListReportsQuery, Report, ReportType } from './schema';

const tags = ['Reports'];
const ReportParams = z.object({ report_id: Uuid('report_id') });

const ReportList = z
  .object({
    available_types: z.array(ReportType).openapi({ description: 'The types this caller may ask for' }),
    data: z.array(Report),
    pagination: PaginationMeta,
  })
  .openapi('ReportList');

export const reportsRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listReports',
      tags,
      security: bearer,
      summary:
        'The report types the caller may ask for, and generated reports: a manager’s tenant’s, anyone else’s own',
      request: { query: PaginationQuery.extend(ListReportsQuery.shape) },
      responses: { 200: jsonResponse(ReportList, 'Reports'), ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const ctx = c.get('ctx');
      const { rows, total } = await reports.listReports(ctx, q);
      return c.json({ available_types: reports.availableTypes(ctx), ...pageOf(rows, q, total) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createReport',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Ask for a report; it is generated in the background (manager)',
      description:
        'Answers 202 with the report `queued`; poll `GET /api/reports/{report_id}` until `ready`, then download it.',
      request: { body: jsonBody(CreateReport) },
      responses: { 202: jsonResponse(Report, 'Queued'), ...problemResponses },
    }),
    async (c) => c.json(await reports.requestReport(c.get('ctx'), c.req.valid('json')), 202),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{report_id}',
      operationId: 'getReport',
      tags,
      security: bearer,
      summary: 'A report and its status',
      request: { params: ReportParams },
      responses: { 200: jsonResponse(Report, 'Report'), ...problemResponses },
    }),
    async (c) => c.json(await reports.getReport(c.get('ctx'), c.req.valid('param').report_id), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{report_id}/download',
      operationId: 'downloadReport',
      tags,
      security: bearer,
      summary: 'The report file, streamed from storage',
      description:
        'Not ready yet (or failed): 409 with `report_status`. Past its expiry the file is removed: 410; ask for the report again.',
      request: { params: ReportParams },
      responses: {
        200: {
          description: 'The file, with its content type and a filename',
          content: {
            'text/csv': { schema: z.string() },
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
              schema: z.string().openapi({ format: 'binary' }),
            },
            'application/pdf': { schema: z.string().openapi({ format: 'binary' }) },
          },
        },
        410: { description: 'Gone', content: { 'application/problem+json': { schema: ProblemSchema } } },
        ...problemResponses,
      },
    }),
    async (c) => {
      const file = await reports.openDownload(c.get('ctx'), c.req.valid('param').report_id);
      return new Response(file.object.body, {
        status: 200,
        headers: {
          'content-type': file.contentType,
          'content-length': String(file.object.size),
          'content-disposition': `attachment; filename="${file.filename}"`,
          'cache-control': 'private, no-store',
          etag: file.object.httpEtag,
        },
      });
    },
  );
