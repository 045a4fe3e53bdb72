import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../../auth/middleware';
import { createRouter } from '../../lib/create-app';
import { uploadCall } from '../../services/call-upload';
import * as service from '../../services/calls';
import { completePresignedUpload, createPresignedUpload } from '../../services/presigned-upload';
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
import { idempotencyKeyOf } from '../shared/idempotency';
import {
  AcceptedCall,
  Analysis,
  AudioUrl,
  Call,
  CallDetail,
  CreateUpload,
  Insight,
  ListCallsQuery,
  PresignedUpload,
  Reanalysis,
  SpeakerLabels,
  Transcription,
} from './schema';
import { assertMultipart, uploadParts } from './upload-parts';

const tags = ['Calls'];
const Params = z.object({ call_id: Uuid('call_id') });

const uploadRoute = createRoute({
  method: 'post',
  path: '/',
  operationId: 'uploadCall',
  tags,
  security: bearer,
  summary: 'Upload a recorded call (multipart: metadata JSON + audio_file); streams to storage and starts the pipeline',
  request: {
    headers: z.object({ 'idempotency-key': z.string().max(255).optional() }),
    body: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: z.object({
            metadata: z.string().openapi({
              description: 'JSON: agent_id, direction, started_at, external_id, customer_number, tags, criteria_set_id',
              example: '{"direction":"inbound","tags":["billing"]}',
            }),
            audio_file: z.string().openapi({
              format: 'binary',
              description: "wav, mp3, m4a/mp4, ogg/opus, flac or webm; up to the tenant tier's size limit",
            }),
          }),
        },
      },
    },
  },
  responses: {
    202: jsonResponse(AcceptedCall, 'Accepted; processing continues in the background'),
    ...problemResponses,
  },
});

export const callsRouter = createRouter();

/** The upload streams a multipart body of up to the tier's limit and enforces its own checks. */
export const streamsItsBody = (method: string, path: string) =>
  method === 'POST' && path.replace(/\/+$/, '') === '/api/calls';

// Registered for the document only: the handler reads the body as a stream, which a validator would buffer.
// Its role guard sits on the handler, not in the definition: registerPath copies every field into the document.
callsRouter.openAPIRegistry.registerPath(uploadRoute);
callsRouter.post('/', requireRole('agent'), async (c) => {
  assertMultipart(c.req.header('content-type'));
  const accepted = await uploadCall(c.get('ctx'), {
    idempotencyKey: idempotencyKeyOf(c.req.header('idempotency-key')),
    declaredBytes: Number(c.req.header('content-length') ?? 0),
    parts: (maxBytes) => uploadParts(c.req.raw, maxBytes),
  });
  return c.json(accepted, 202);
});

callsRouter
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listCalls',
      tags,
      security: bearer,
      summary: 'List calls (agents: their own)',
      request: { query: PaginationQuery.extend(ListCallsQuery.shape) },
      responses: { 200: jsonResponse(paginated(Call, 'CallPage'), 'Calls'), ...problemResponses },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { rows, total } = await service.listCalls(c.get('ctx'), q);
      return c.json(pageOf(rows, q, total), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/uploads',
      operationId: 'createPresignedUpload',
      tags,
      security: bearer,
      middleware: [requireRole('agent')],
      summary:
        'Start a direct-to-storage upload for a large file: returns a presigned PUT URL for exactly the declared size and type (the declared size counts against storage until it completes or is swept)',
      request: { body: jsonBody(CreateUpload) },
      responses: { 201: jsonResponse(PresignedUpload, 'Upload URL'), ...problemResponses },
    }),
    async (c) => c.json(await createPresignedUpload(c.get('ctx'), c.req.valid('json')), 201),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/{call_id}/complete',
      operationId: 'completePresignedUpload',
      tags,
      security: bearer,
      middleware: [requireRole('agent')],
      summary:
        'Finish a direct upload: checks the object (size, first bytes), moves it to the call and starts the pipeline; 409 not uploaded yet, 413/422 wrong size, 415 not audio',
      request: { params: Params },
      responses: { 202: jsonResponse(AcceptedCall, 'Queued'), ...problemResponses },
    }),
    async (c) => c.json(await completePresignedUpload(c.get('ctx'), c.req.valid('param').call_id), 202),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{call_id}',
      operationId: 'getCall',
      tags,
      security: bearer,
      summary: 'A call with its transcription, evaluation, sentiment, customer behaviour and compliance',
      request: { params: Params },
      responses: { 200: jsonResponse(CallDetail, 'Call'), ...problemResponses },
    }),
    async (c) => c.json(await service.getCall(c.get('ctx'), c.req.valid('param').call_id), 200),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{call_id}',
      operationId: 'deleteCall',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Delete a call, everything derived from it and its audio (manager)',
      request: { params: Params },
      responses: { 204: { description: 'Deleted' }, ...problemResponses },
    }),
    async (c) => {
      await service.deleteCall(c.get('ctx'), c.req.valid('param').call_id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{call_id}/transcription',
      operationId: 'getTranscription',
      tags,
      security: bearer,
      summary: 'Transcription status or result',
      request: { params: Params },
      responses: { 200: jsonResponse(Transcription, 'Transcription'), ...problemResponses },
    }),
    async (c) => c.json(await service.getTranscription(c.get('ctx'), c.req.valid('param').call_id), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/{call_id}/transcription',
      operationId: 'updateSpeakerLabels',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Correct speaker labels of transcript segments (manager)',
      request: { params: Params, body: jsonBody(SpeakerLabels) },
      responses: { 200: jsonResponse(Transcription, 'Updated'), ...problemResponses },
    }),
    async (c) =>
      c.json(
        await service.updateSpeakers(c.get('ctx'), c.req.valid('param').call_id, c.req.valid('json').segments),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{call_id}/analysis',
      operationId: 'getAnalysis',
      tags,
      security: bearer,
      summary: 'The current QA evaluation and earlier ones',
      request: { params: Params },
      responses: { 200: jsonResponse(Analysis, 'Analysis'), ...problemResponses },
    }),
    async (c) => c.json(await service.getAnalysis(c.get('ctx'), c.req.valid('param').call_id), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/{call_id}/analysis',
      operationId: 'reanalyzeCall',
      tags,
      security: bearer,
      middleware: [requireRole('manager')],
      summary: 'Score the call again, optionally with another criteria set (manager); history is kept',
      request: { params: Params, body: { required: false, content: { 'application/json': { schema: Reanalysis } } } },
      responses: {
        202: jsonResponse(z.object({ call_id: z.uuid(), run_key: z.string(), status: z.literal('queued') }), 'Queued'),
        ...problemResponses,
      },
    }),
    async (c) =>
      c.json(
        await service.requestReanalysis(
          c.get('ctx'),
          c.req.valid('param').call_id,
          c.req.valid('json')?.criteria_set_id ?? null,
        ),
        202,
      ),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{call_id}/insights',
      operationId: 'listInsights',
      tags,
      security: bearer,
      summary: 'AI insights of the current evaluation',
      request: { params: Params },
      responses: { 200: jsonResponse(z.object({ data: z.array(Insight) }), 'Insights'), ...problemResponses },
    }),
    async (c) => c.json({ data: await service.listInsights(c.get('ctx'), c.req.valid('param').call_id) }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{call_id}/audio',
      operationId: 'getAudioUrl',
      tags,
      security: bearer,
      summary: 'A short-lived URL to play the recording',
      request: { params: Params },
      responses: { 200: jsonResponse(AudioUrl, 'Playback URL'), ...problemResponses },
    }),
    async (c) => c.json(await service.audioUrl(c.get('ctx'), c.req.valid('param').call_id), 200),
  );
