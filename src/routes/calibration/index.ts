import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as calibration from '../../services/trust/calibration';
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
  CalibrationResults,
  CalibrationScores,
  CalibrationSession,
  CalibrationSessionDetail,
  CreateCalibrationSession,
  ListCalibrationSessionsQuery,
  PutCalibrationScores,
} from './schema';

const tags = ['Calibration'];
const SessionParams = z.object({ session_id: Uuid('session_id') });
const ScoreParams = SessionParams.extend({ call_id: Uuid('call_id') });
const managers = [requireRole('manager')];
const blind =
  "Blind until closed: a grader sees only its own scores, never another grader's or the AI's (the database's row policies say so too).";

/** Calibration sessions, for managers and up; agents are refused (and the database shows them nothing). */
export const calibrationRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/sessions',
      operationId: 'listCalibrationSessions',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Calibration sessions of the tenant, newest first (manager)',
      request: { query: PaginationQuery.extend(ListCalibrationSessionsQuery.shape) },
      responses: {
        200: jsonResponse(paginated(CalibrationSession, 'CalibrationSessionPage'), 'Sessions'),
        ...problemResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await calibration.listSessions(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/sessions',
      operationId: 'createCalibrationSession',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Start a calibration session: scored calls and the managers who grade them (manager)',
      description: `Each call's current evaluation is frozen as what is calibrated. ${blind}`,
      request: { body: jsonBody(CreateCalibrationSession) },
      responses: { 201: jsonResponse(CalibrationSessionDetail, 'Created'), ...problemResponses },
    }),
    async (c) => c.json(await calibration.createSession(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{session_id}',
      operationId: 'getCalibrationSession',
      tags,
      security: bearer,
      middleware: managers,
      summary:
        "A session: its calls with the criteria to score, the graders' progress, the caller's own scores (manager)",
      description: blind,
      request: { params: SessionParams },
      responses: { 200: jsonResponse(CalibrationSessionDetail, 'Session'), ...problemResponses },
    }),
    async (c) => c.json(await calibration.getSession(c.get('ctx'), c.req.valid('param').session_id), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/sessions/{session_id}/calls/{call_id}/scores',
      operationId: 'putCalibrationScores',
      tags,
      security: bearer,
      middleware: managers,
      summary: "The caller's scores of a call, per criterion; editable until the session closes (a grader)",
      description:
        'Each score replaces the caller’s earlier one of that criterion; criteria left out keep theirs. Scores are judged against the criteria version the call was scored with. 403 for a manager who is not a grader, 409 once closed.',
      request: { params: ScoreParams, body: jsonBody(PutCalibrationScores) },
      responses: { 200: jsonResponse(CalibrationScores, "The caller's scores of the call"), ...problemResponses },
    }),
    async (c) => {
      const { session_id, call_id } = c.req.valid('param');
      return c.json(await calibration.saveScores(c.get('ctx'), session_id, call_id, c.req.valid('json').scores), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/sessions/{session_id}/close',
      operationId: 'closeCalibrationSession',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Close a session for good and reveal its results (its creator or a tenant admin)',
      description: '409 when already closed, or when no grader has scored anything.',
      request: { params: SessionParams },
      responses: { 200: jsonResponse(CalibrationSessionDetail, 'Closed'), ...problemResponses },
    }),
    async (c) => c.json(await calibration.closeSession(c.get('ctx'), c.req.valid('param').session_id), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{session_id}/results',
      operationId: 'getCalibrationResults',
      tags,
      security: bearer,
      middleware: managers,
      summary:
        "A closed session's results: per call and criterion each grader's score, the median consensus, the spread and the AI's score; per criterion Krippendorff's alpha and each grader against the consensus (manager)",
      description: '409 while the session is open.',
      request: { params: SessionParams },
      responses: { 200: jsonResponse(CalibrationResults, 'Results'), ...problemResponses },
    }),
    async (c) => c.json(await calibration.getResults(c.get('ctx'), c.req.valid('param').session_id), 200),
  );
