/**
 * A local stand-in for AssemblyAI's v2 REST API (upload, transcripts, webhooks), for the real
 * `assemblyai` SDK pointed at it with `new AssemblyAI({ apiKey, baseUrl: standIn.url })`.
 *
 * Routes:
 *   POST /v2/upload, POST /v2/transcript, GET /v2/transcript, GET|DELETE /v2/transcript/{id}
 *   GET  /cdn/upload/{id}          uploaded bytes (what `upload_url` points at)
 *   GET|POST /__config             read / change behaviour (JSON partial AssemblyAIBehaviour)
 *   GET  /__stats, POST /__stats/reset
 * Only /v2 is subject to the API key and to injected 500s.
 */
import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type AssemblyAIBehaviour, DEFAULT_BEHAVIOUR, describeBehaviour, mergeBehaviour } from './behaviour.ts';
import { SampleCatalogue } from './catalogue.ts';
import { HttpError } from '../shared/http.ts';
import { capBody, serveStandIn } from '../shared/serve.ts';
import { parseTranscriptParams } from './params.ts';
import { type TranscriptCounters, TranscriptService } from './transcripts.ts';
import { viewTranscript } from './view.ts';

export type { AssemblyAIBehaviour } from './behaviour.ts';

export interface AssemblyAIStandIn {
  /** Base URL for the SDK's `baseUrl` (no trailing slash, no path). */
  url: string;
  close(): Promise<void>;
  configure(c: Partial<AssemblyAIBehaviour>): void;
  stats(): { transcripts: number; webhooksSent: number; webhookFailures: number; httpErrors: number };
  resetStats(): void;
}

export interface StartAssemblyAIOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string | undefined;
  behaviour?: Partial<AssemblyAIBehaviour> | undefined;
  /** Origin used in `upload_url`s when callers reach the stand-in under another name (e.g. from a container). */
  publicUrl?: string | undefined;
}

const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
const MAX_JSON_BYTES = 1024 * 1024;
const UPLOAD_PATH = '/cdn/upload/';
const AUTH_ERROR = 'Authentication error, API token missing/invalid';

const tooLarge = (max: number) => new HttpError(413, `Request body too large (max ${max} bytes)`);
const jsonBody = capBody(MAX_JSON_BYTES, tooLarge);
const readJson = (c: Context): Promise<unknown> =>
  c.req.json().catch(() => {
    throw new HttpError(400, 'Invalid JSON body');
  });

export async function startAssemblyAI(opts: StartAssemblyAIOptions): Promise<AssemblyAIStandIn> {
  let behaviour = mergeBehaviour(DEFAULT_BEHAVIOUR, opts.behaviour ?? {});
  const counters: TranscriptCounters & { httpErrors: number } = {
    transcripts: 0,
    webhooksSent: 0,
    webhookFailures: 0,
    httpErrors: 0,
  };
  const uploads = new Map<string, Uint8Array<ArrayBuffer>>();
  const catalogue = await SampleCatalogue.load();
  let origin = '';
  const publicOrigin = () => (opts.publicUrl ?? origin).replace(/\/$/, '');

  const transcripts = new TranscriptService({
    catalogue,
    counters,
    behaviour: () => behaviour,
    localUpload(url) {
      const prefix = `${publicOrigin()}${UPLOAD_PATH}`;
      return url.startsWith(prefix) ? uploads.get(url.slice(prefix.length)) : undefined;
    },
  });

  const app = new Hono();
  app.get('/__stats', (c) => c.json({ ...counters }));
  app.post('/__stats/reset', (c) => {
    resetCounters();
    return c.json({ ...counters });
  });
  app.get('/__config', (c) => c.json(describeBehaviour(behaviour)));
  app.post('/__config', jsonBody, async (c) => {
    const update = await readJson(c);
    try {
      behaviour = mergeBehaviour(behaviour, update);
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
    return c.json(describeBehaviour(behaviour));
  });
  app.get(`${UPLOAD_PATH}:id`, (c) => {
    const bytes = uploads.get(c.req.param('id'));
    if (!bytes) return c.json({ error: 'Not found' }, 404);
    return c.body(bytes, 200, { 'Content-Type': 'application/octet-stream' });
  });

  // Before any /v2 body is read, so a refused upload is not buffered first.
  app.use('/v2/*', async (c, next) => {
    if (behaviour.apiKey !== undefined && c.req.header('authorization') !== behaviour.apiKey) {
      return c.json({ error: AUTH_ERROR }, 401);
    }
    if (Math.random() < behaviour.httpErrorRate) {
      counters.httpErrors++;
      return c.json({ error: 'Internal server error' }, 500);
    }
    await next();
  });
  app.post('/v2/upload', capBody(MAX_UPLOAD_BYTES, tooLarge), async (c) => {
    const id = randomUUID();
    uploads.set(id, new Uint8Array(await c.req.arrayBuffer()));
    return c.json({ upload_url: `${publicOrigin()}${UPLOAD_PATH}${id}` });
  });
  app.post('/v2/transcript', jsonBody, async (c) =>
    c.json(viewTranscript(transcripts.submit(parseTranscriptParams(await readJson(c))))),
  );
  app.get('/v2/transcript', (c) => c.json(listTranscripts(c.req.query('limit'), c.req.query('status'))));
  app.get('/v2/transcript/:id', (c) => {
    const record = transcripts.get(c.req.param('id'));
    if (!record) return c.json({ error: 'Transcript not found' }, 404);
    return c.json(viewTranscript(record));
  });
  app.delete('/v2/transcript/:id', (c) => {
    const record = transcripts.get(c.req.param('id'));
    if (!record) return c.json({ error: 'Transcript not found' }, 404);
    if (record.status === 'queued' || record.status === 'processing') {
      return c.json({ error: 'Transcript is still processing and cannot be deleted yet.' }, 400);
    }
    record.deleted = true;
    record.content = undefined;
    return c.json(viewTranscript(record));
  });
  app.notFound((c) => c.json({ error: 'Not found' }, 404));
  app.onError((err, c) => {
    if (err instanceof HttpError) return c.json({ error: err.message }, err.status as ContentfulStatusCode);
    console.error('[assemblyai] unhandled:', err);
    return c.json({ error: 'Internal server error' }, 500);
  });

  /** The list endpoint's shape, newest first, without paging beyond `limit`. */
  function listTranscripts(limitParam: string | undefined, status: string | undefined) {
    const limit = Math.min(Number(limitParam ?? 10) || 10, 200);
    const rows = transcripts
      .list()
      .filter((r) => !status || r.status === status)
      .reverse()
      .slice(0, limit);
    return {
      page_details: {
        limit,
        result_count: rows.length,
        current_url: `${publicOrigin()}/v2/transcript?limit=${limit}`,
        prev_url: null,
        next_url: null,
      },
      transcripts: rows.map((r) => ({
        id: r.id,
        resource_url: `${publicOrigin()}/v2/transcript/${r.id}`,
        status: r.status,
        created: r.createdAt.toISOString(),
        completed: r.completedAt?.toISOString() ?? null,
        audio_url: r.params.audio_url,
        error: r.error ?? null,
      })),
    };
  }

  function resetCounters(): void {
    counters.transcripts = 0;
    counters.webhooksSent = 0;
    counters.webhookFailures = 0;
    counters.httpErrors = 0;
  }

  const running = await serveStandIn(app, opts.port, opts.host);
  origin = running.origin;

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    configure(c) {
      behaviour = mergeBehaviour(behaviour, c);
    },
    stats: () => ({ ...counters }),
    resetStats: resetCounters,
    close() {
      closing ??= transcripts.close().then(() => running.close());
      return closing;
    },
  };
}
