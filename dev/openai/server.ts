/**
 * A local stand-in for OpenAI's Chat Completions API, for the real `openai` SDK pointed at it
 * with `new OpenAI({ apiKey, baseURL: standIn.url })` (the URL includes `/v1`).
 *
 * Routes:
 *   POST /v1/chat/completions, GET /v1/models, GET /v1/models/{id}
 *   GET|POST /__config     read / change behaviour (JSON partial OpenAIBehaviour)
 *   GET /__stats, POST /__stats/reset
 * Only /v1 is subject to the API key, latency and injected errors.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_BEHAVIOUR, describeBehaviour, mergeBehaviour, type OpenAIBehaviour } from './behaviour.ts';
import { complete } from './completions.ts';
import { authError, OpenAIError, rateLimited, serverError } from './errors.ts';
import { closeServer, listen, readBody, sendJson } from '../shared/http.ts';

const tooLarge = (limit: number) => new OpenAIError(413, `Request too large: the body may not exceed ${limit} bytes.`);
import { parseChatRequest } from './request.ts';

export type { OpenAIBehaviour } from './behaviour.ts';

export interface OpenAIStandIn {
  /** Base URL including /v1, ready for the SDK's `baseURL`. */
  url: string;
  close(): Promise<void>;
  configure(c: Partial<OpenAIBehaviour>): void;
  stats(): { completions: number; httpErrors: number };
  resetStats(): void;
}

export interface StartOpenAIOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string | undefined;
  behaviour?: Partial<OpenAIBehaviour> | undefined;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'o4-mini'];

export async function startOpenAI(opts: StartOpenAIOptions): Promise<OpenAIStandIn> {
  let behaviour = mergeBehaviour(DEFAULT_BEHAVIOUR, opts.behaviour ?? {});
  const counters = { completions: 0, httpErrors: 0 };
  const timers = new Set<NodeJS.Timeout>();

  const delay = (ms: number) =>
    ms <= 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, ms);
          timers.add(t);
        });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname.replace(/\/+$/, '');
    const method = req.method ?? 'GET';

    if (path === '/__stats' && method === 'GET') return sendJson(res, 200, { ...counters });
    if (path === '/__stats/reset' && method === 'POST') {
      counters.completions = 0;
      counters.httpErrors = 0;
      return sendJson(res, 200, { ...counters });
    }
    if (path === '/__config' && method === 'GET') return sendJson(res, 200, describeBehaviour(behaviour));
    if (path === '/__config' && method === 'POST') {
      const raw = (await readBody(req, MAX_BODY_BYTES, tooLarge)).toString('utf8');
      try {
        behaviour = mergeBehaviour(behaviour, JSON.parse(raw));
      } catch (err) {
        throw new OpenAIError(400, (err as Error).message);
      }
      return sendJson(res, 200, describeBehaviour(behaviour));
    }
    if (!path.startsWith('/v1/') && path !== '/v1') {
      throw new OpenAIError(404, `Invalid URL (${method} ${path})`);
    }

    const started = Date.now();
    const current = behaviour;
    if (current.apiKey !== undefined) {
      const presented = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
      if (presented !== current.apiKey) {
        req.resume();
        throw authError(presented);
      }
    }
    const body = method === 'POST' ? await readBody(req, MAX_BODY_BYTES, tooLarge) : Buffer.alloc(0);
    await delay(current.latencyMs);
    if (Math.random() < current.httpErrorRate) {
      counters.httpErrors++;
      throw Math.random() < 0.5 ? serverError() : rateLimited(modelOf(body));
    }
    const headers = { 'openai-processing-ms': String(Date.now() - started), 'openai-version': '2020-10-01' };

    if (path === '/v1/chat/completions' && method === 'POST') {
      const completion = complete(parseChatRequest(body));
      counters.completions++;
      return sendJson(res, 200, completion, headers);
    }
    if (path === '/v1/models' && method === 'GET') {
      return sendJson(res, 200, { object: 'list', data: MODELS.map(model) }, headers);
    }
    const m = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const id = decodeURIComponent(m[1]!);
      if (!MODELS.includes(id))
        throw new OpenAIError(
          404,
          `The model '${id}' does not exist`,
          'invalid_request_error',
          'model',
          'model_not_found',
        );
      return sendJson(res, 200, model(id), headers);
    }
    throw new OpenAIError(404, `Invalid URL (${method} ${path})`);
  }

  const listening = await listen(
    (req, res) => {
      res.setHeader('x-request-id', `req_${randomBytes(16).toString('hex')}`);
      route(req, res).catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (err instanceof OpenAIError) return sendJson(res, err.status, err.body(), err.headers);
        console.error('[openai] unhandled:', err);
        const e = serverError();
        sendJson(res, e.status, e.body());
      });
    },
    opts.port,
    opts.host ?? '127.0.0.1',
  );

  let closing: Promise<void> | undefined;
  return {
    url: `${listening.origin}/v1`,
    configure(c) {
      behaviour = mergeBehaviour(behaviour, c);
    },
    stats: () => ({ ...counters }),
    resetStats() {
      counters.completions = 0;
      counters.httpErrors = 0;
    },
    close() {
      closing ??= (async () => {
        for (const t of timers) clearTimeout(t);
        await closeServer(listening.server);
      })();
      return closing;
    },
  };
}

function model(id: string) {
  return { id, object: 'model', created: 1715367049, owned_by: 'system' };
}

/** The model named in a body, for the rate-limit message; the body may not even be JSON. */
function modelOf(body: Buffer): string {
  try {
    const m = (JSON.parse(body.toString('utf8')) as { model?: unknown }).model;
    return typeof m === 'string' ? m : 'gpt-4o';
  } catch {
    return 'gpt-4o';
  }
}
