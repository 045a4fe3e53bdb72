/**
 * The HTTP side: routes, CORS, the request size limit, and the counters a
 * benchmark in another process reads through `GET /__stats`.
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DatabaseBackend } from '../db/backend.ts';
import { capBody, serveStandIn } from '../shared/serve.ts';
import { type ConnInfo, parseConnInfo } from './conn-info.ts';
import { NeonHttpError, errorBody, toNeonHttpError } from './errors.ts';
import type { SqlExecutor } from './executor.ts';
import { JSON_HEADERS, handleSql } from './handler.ts';
import { type RequestOptions, parseRequestOptions } from './options.ts';
import { parsePayload } from './payload.ts';
import { PgExecutor } from './pg-executor.ts';
import { ArrayTypes, PgTextError } from './pg-text-json.ts';
import { PgliteExecutor } from './pglite-executor.ts';

export interface NeonHttpStandIn {
  /** e.g. http://127.0.0.1:4444/sql, ready for `neonConfig.fetchEndpoint`. */
  url: string;
  close(): Promise<void>;
  /** HTTP requests to /sql, and statements run on callers' behalf. */
  stats(): { requests: number; queries: number };
  resetStats(): void;
}

export interface StartNeonHttpOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string | undefined;
  backend: DatabaseBackend;
  /** Neon's limits are 10 MiB each way. */
  maxRequestBytes?: number | undefined;
  maxResponseBytes?: number | undefined;
}

const MiB = 1024 * 1024;

/** Neon's preflight answer (serverless/mod.rs), for browser-style clients. */
const PREFLIGHT_HEADERS = {
  Allow: 'OPTIONS, POST',
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers':
    'Authorization, Neon-Connection-String, Neon-Raw-Text-Output, Neon-Array-Mode, Neon-Pool-Opt-In, Neon-Batch-Read-Only, Neon-Batch-Isolation-Level',
  'Access-Control-Max-Age': '86400',
  // Without it an empty body goes out chunked.
  'Content-Length': '0',
};

export async function startNeonHttp(opts: StartNeonHttpOptions): Promise<NeonHttpStandIn> {
  const maxRequestBytes = opts.maxRequestBytes ?? 10 * MiB;
  const executor = createExecutor(opts.backend);
  const counters = { requests: 0, queries: 0 };
  const resetStats = () => {
    counters.requests = 0;
    counters.queries = 0;
  };
  const deps = {
    executor,
    types: new ArrayTypes(),
    maxResponseBytes: opts.maxResponseBytes ?? 10 * MiB,
    onQuery: () => void counters.queries++,
  };

  const app = new Hono<{ Variables: { conn: ConnInfo; options: RequestOptions } }>();
  // Registered before the counter: a benchmark polling the counters must not change them.
  app.get('/__stats', (c) => c.json(counters, 200, JSON_HEADERS));
  app.post('/__stats/reset', (c) => {
    resetStats();
    return c.json(counters, 200, JSON_HEADERS);
  });
  app.use(async (_c, next) => {
    counters.requests++;
    await next();
  });
  app.options('/sql', (c) => c.body(null, 200, PREFLIGHT_HEADERS));
  app.post(
    '/sql',
    // The proxy (`handle_db_inner`) rejects a bad connection string or Neon-* header before it
    // looks at the body's size.
    async (c, next) => {
      c.set('conn', parseConnInfo(c.req.header('neon-connection-string'), c.req.header('authorization')));
      c.set('options', parseRequestOptions(c.req.header()));
      await next();
    },
    capBody(maxRequestBytes, (max) => new NeonHttpError(413, `request is too large (max is ${max} bytes)`)),
    async (c) => {
      const body = await c.req.arrayBuffer().catch((err: unknown) => {
        throw new NeonHttpError(400, `could not read the HTTP request body: ${String(err)}`);
      });
      const out = await handleSql(c.var.conn, c.var.options, parsePayload(Buffer.from(body)), deps);
      return c.body(out.body, 200, out.headers);
    },
  );
  // The proxy's answer to anything else.
  app.notFound((c) => c.json('query is not supported', 400));
  app.onError((err, c) => {
    const e = toNeonHttpError(
      err instanceof PgTextError ? new NeonHttpError(500, 'could not parse postgres response') : err,
    );
    if (e.status >= 500) console.error('[neon-http]', e.message);
    return c.body(errorBody(e), e.status as ContentfulStatusCode, JSON_HEADERS);
  });

  const running = await serveStandIn(app, opts.port, opts.host);
  let closing: Promise<void> | undefined;
  return {
    url: `${running.origin}/sql`,
    stats: () => ({ ...counters }),
    resetStats,
    close() {
      closing ??= running.close().then(() => executor.close());
      return closing;
    },
  };
}

function createExecutor(backend: DatabaseBackend): SqlExecutor {
  return backend.kind === 'pglite' ? new PgliteExecutor(backend.pglite) : new PgExecutor(backend.adminUrl);
}
