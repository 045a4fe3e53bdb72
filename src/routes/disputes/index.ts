import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import * as disputes from '../../services/trust/disputes';
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
import { Dispute, ListDisputesQuery, OpenDispute, ResolveDispute } from './schema';

const tags = ['Disputes'];
const CallParams = z.object({ call_id: Uuid('call_id') });
const DisputeParams = z.object({ dispute_id: Uuid('dispute_id') });
const managers = [requireRole('manager')];
const finalStates = 'resolved, withdrawn and expired are final: any move on them is 409.';

/** Disputes of evaluations: opened and withdrawn by the call's agent, decided by a manager who is not that agent. */
export const disputesRouter = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/calls/{call_id}/disputes',
      operationId: 'openDispute',
      tags,
      security: bearer,
      summary:
        "Dispute criteria of the call's current, released evaluation, each with a proposed score and a reason (the call's agent)",
      description:
        "Within the tenant's window after the evaluation's release (disputes.window_days, default 7; else 403), and while the evaluation has fewer pending (open or in review) disputes than disputes.max_open_per_evaluation (default 1; else 409). Another agent's call is 404; a caller who is not the call's agent 403; a call without a released evaluation 409; a criterion not in the evaluation or a score above its max points 422.",
      request: { params: CallParams, body: jsonBody(OpenDispute) },
      responses: { 201: jsonResponse(Dispute, 'Opened'), ...problemResponses },
    }),
    async (c) =>
      c.json(await disputes.openDispute(c.get('ctx'), c.req.valid('param').call_id, c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/disputes',
      operationId: 'listDisputes',
      tags,
      security: bearer,
      summary: 'Disputes of the tenant, newest first (an agent: its own)',
      request: { query: PaginationQuery.extend(ListDisputesQuery.shape) },
      responses: { 200: jsonResponse(paginated(Dispute, 'DisputePage'), 'Disputes'), ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await disputes.listDisputes(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/disputes/{dispute_id}',
      operationId: 'getDispute',
      tags,
      security: bearer,
      summary: 'A dispute with its items and decisions (an agent: its own)',
      request: { params: DisputeParams },
      responses: { 200: jsonResponse(Dispute, 'Dispute'), ...problemResponses },
    }),
    async (c) => c.json(await disputes.getDispute(c.get('ctx'), c.req.valid('param').dispute_id), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/disputes/{dispute_id}/review',
      operationId: 'reviewDispute',
      tags,
      security: bearer,
      middleware: managers,
      summary: 'Take an open dispute in review (manager; not the dispute’s own agent)',
      description: `403 for a dispute of the caller's own call; 409 when it is already in review. ${finalStates}`,
      request: { params: DisputeParams },
      responses: { 200: jsonResponse(Dispute, 'In review'), ...problemResponses },
    }),
    async (c) => c.json(await disputes.takeInReview(c.get('ctx'), c.req.valid('param').dispute_id), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/disputes/{dispute_id}/resolve',
      operationId: 'resolveDispute',
      tags,
      security: bearer,
      middleware: managers,
      summary:
        "Decide every item of a dispute in review: upheld, overturned or modified; the decisions become the human review of those criteria and the call's effective score follows (manager; not the dispute’s own agent)",
      description: `The review, the dispute's state and its decisions are written in one transaction. 403 for a dispute of the caller's own call; 409 while it is still open (take it in review first). ${finalStates}`,
      request: { params: DisputeParams, body: jsonBody(ResolveDispute) },
      responses: { 200: jsonResponse(Dispute, 'Resolved'), ...problemResponses },
    }),
    async (c) =>
      c.json(await disputes.resolveDispute(c.get('ctx'), c.req.valid('param').dispute_id, c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/disputes/{dispute_id}/withdraw',
      operationId: 'withdrawDispute',
      tags,
      security: bearer,
      summary: 'Withdraw a dispute, open or in review (its agent)',
      description: `Another agent's dispute is 404; a caller who is not the dispute's agent 403. ${finalStates}`,
      request: { params: DisputeParams },
      responses: { 200: jsonResponse(Dispute, 'Withdrawn'), ...problemResponses },
    }),
    async (c) => c.json(await disputes.withdrawDispute(c.get('ctx'), c.req.valid('param').dispute_id), 200),
  );
