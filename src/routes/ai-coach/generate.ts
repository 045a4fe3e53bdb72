import { createRoute } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import { generateCourse } from '../../services/ai-coach/generate-course';
import { IdempotencyKeyHeader, idempotencyKeyOf } from '../shared/idempotency';
import { bearer, jsonBody, jsonResponse, problemResponses } from '../shared/schemas';
import { GenerateCourse, GeneratedCourse } from './schema';

export const generateRouter = createRouter().openapi(
  createRoute({
    method: 'post',
    path: '/generate-course',
    operationId: 'generateCoachCourse',
    tags: ['AI coach'],
    security: bearer,
    middleware: [requireRole('manager')],
    summary: "Write a draft course with the model from an agent's own failing evaluations (manager)",
    description:
      "The model is given only this agent's failing results for the weakness areas (at most 20, newest first, up to " +
      'three evidence quotes each, with the reasoning and the call ids); every citation in the answer is checked against ' +
      'those quotes and dropped when not found. Counts against the daily call quota like a re-analysis. A refusal, a ' +
      'cut-off or an off-schema answer is 503 and stores nothing.',
    request: { headers: IdempotencyKeyHeader, body: jsonBody(GenerateCourse) },
    responses: { 201: jsonResponse(GeneratedCourse, 'The draft course'), ...problemResponses },
  }),
  async (c) => {
    const ctx = c.get('ctx');
    const body = c.req.valid('json');
    const answer = await generateCourse(ctx, {
      agentId: body.agent_id,
      weaknessAreas: body.weakness_areas,
      callIds: body.call_ids,
      requestedBy: ctx.actor.userId,
      idempotencyKey: idempotencyKeyOf(c.req.header('idempotency-key')),
    });
    return c.json(answer, 201);
  },
);
