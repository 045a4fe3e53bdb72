import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as reviews from '../../services/reviews';
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
import { QueueEntry, QueueQuery, Review, SaveReview } from './schema';

const tags = ['Reviews'];
const Params = z.object({ call_id: Uuid('call_id') });
const managers = [requireRole('manager')];

export const reviewsRouter = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/calls/{call_id}/review',
      operationId: 'getCallReview',
      tags,
      security: bearer,
      summary:
        "The model's and the human's scores of the call's current evaluation, per criterion side by side, and the effective score (an agent: its own call, once released)",
      request: { params: Params },
      responses: { 200: jsonResponse(Review, 'Review'), ...problemResponses },
    }),
    async (c) => c.json(await reviews.getReview(c.get('ctx'), c.req.valid('param').call_id), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/calls/{call_id}/review',
      operationId: 'saveCallReview',
      tags,
      security: bearer,
      middleware: managers,
      summary:
        "Review the call's current evaluation: score criteria or confirm the model's, against the criteria version it was scored with; the effective score and analytics follow (manager)",
      description:
        "Creates the review or updates it; criteria left out keep what they have. A manual set's evaluation must be scored whole. The first review releases an ai_review or manual evaluation to the agent. 409 when the call has no evaluation yet.",
      request: { params: Params, body: jsonBody(SaveReview) },
      responses: { 200: jsonResponse(Review, 'The review as it now stands'), ...problemResponses },
    }),
    async (c) => c.json(await reviews.saveReview(c.get('ctx'), c.req.valid('param').call_id, c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/reviews/queue',
      operationId: 'listReviewQueue',
      tags,
      security: bearer,
      middleware: managers,
      summary:
        'Calls waiting for a human (ai_review scored by the model, manual to be scored), oldest first; or reviewed ones, latest first (manager)',
      request: { query: PaginationQuery.extend(QueueQuery.shape) },
      responses: { 200: jsonResponse(paginated(QueueEntry, 'ReviewQueuePage'), 'Queue'), ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await reviews.reviewQueue(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  );
