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
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AssemblyAIBehaviour, DEFAULT_BEHAVIOUR, describeBehaviour, mergeBehaviour } from './behaviour.ts';
import { SampleCatalogue } from './catalogue.ts';
import { closeServer, HttpError, listen, readBody, readJson, sendJson } from '../shared/http.ts';
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

export async function startAssemblyAI(opts: StartAssemblyAIOptions): Promise<AssemblyAIStandIn> {
  let behaviour = mergeBehaviour(DEFAULT_BEHAVIOUR, opts.behaviour ?? {});
  const counters: TranscriptCounters & { httpErrors: number } = {
    transcripts: 0,
    webhooksSent: 0,
    webhookFailures: 0,
    httpErrors: 0,
  };
  const uploads = new Map<string, Uint8Array>();
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

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (path === '/__stats' && method === 'GET') return sendJson(res, 200, { ...counters });
    if (path === '/__stats/reset' && method === 'POST') {
      resetCounters();
      return sendJson(res, 200, { ...counters });
    }
    if (path === '/__config' && method === 'GET') return sendJson(res, 200, describeBehaviour(behaviour));
    if (path === '/__config' && method === 'POST') {
      try {
        behaviour = mergeBehaviour(behaviour, await readJson(req, MAX_JSON_BYTES));
      } catch (err) {
        throw err instanceof HttpError ? err : new HttpError(400, (err as Error).message);
      }
      return sendJson(res, 200, describeBehaviour(behaviour));
    }
    if (path.startsWith(UPLOAD_PATH) && method === 'GET') {
      const bytes = uploads.get(path.slice(UPLOAD_PATH.length));
      if (!bytes) return sendJson(res, 404, { error: 'Not found' });
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length });
      res.end(bytes);
      return;
    }
    if (!path.startsWith('/v2/')) return sendJson(res, 404, { error: 'Not found' });

    if (behaviour.apiKey !== undefined && req.headers.authorization !== behaviour.apiKey) {
      req.resume();
      return sendJson(res, 401, { error: AUTH_ERROR });
    }
    if (Math.random() < behaviour.httpErrorRate) {
      counters.httpErrors++;
      req.resume();
      return sendJson(res, 500, { error: 'Internal server error' });
    }

    if (path === '/v2/upload' && method === 'POST') {
      const bytes = await readBody(req, MAX_UPLOAD_BYTES);
      const id = randomUUID();
      uploads.set(id, new Uint8Array(bytes));
      return sendJson(res, 200, { upload_url: `${publicOrigin()}${UPLOAD_PATH}${id}` });
    }
    if (path === '/v2/transcript' && method === 'POST') {
      const params = parseTranscriptParams(await readJson(req, MAX_JSON_BYTES));
      return sendJson(res, 200, viewTranscript(transcripts.submit(params)));
    }
    if (path === '/v2/transcript' && method === 'GET') return sendJson(res, 200, listTranscripts(url));

    const match = /^\/v2\/transcript\/([^/]+)$/.exec(path);
    if (match?.[1]) {
      const record = transcripts.get(decodeURIComponent(match[1]));
      if (!record) return sendJson(res, 404, { error: 'Transcript not found' });
      if (method === 'GET') return sendJson(res, 200, viewTranscript(record));
      if (method === 'DELETE') {
        if (record.status === 'queued' || record.status === 'processing') {
          return sendJson(res, 400, { error: 'Transcript is still processing and cannot be deleted yet.' });
        }
        record.deleted = true;
        record.content = undefined;
        return sendJson(res, 200, viewTranscript(record));
      }
    }
    return sendJson(res, 404, { error: 'Not found' });
  }

  /** The list endpoint's shape, newest first, without paging beyond `limit`. */
  function listTranscripts(url: URL) {
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 10) || 10, 200);
    const status = url.searchParams.get('status');
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

  const listening = await listen(
    (req, res) => {
      route(req, res).catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
        console.error('[assemblyai] unhandled:', err);
        sendJson(res, 500, { error: 'Internal server error' });
      });
    },
    opts.port,
    opts.host ?? '127.0.0.1',
  );
  origin = listening.origin;

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    configure(c) {
      behaviour = mergeBehaviour(behaviour, c);
    },
    stats: () => ({ ...counters }),
    resetStats: resetCounters,
    close() {
      closing ??= (async () => {
        await transcripts.close();
        await closeServer(listening.server);
      })();
      return closing;
    },
  };
}
