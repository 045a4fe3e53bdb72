/**
 * The HTTP side: routes, CORS, the request size limit, and the counters a
 * benchmark in another process reads through `GET /__stats`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DatabaseBackend } from '../db/backend.ts';
import { NeonHttpError } from './errors.ts';
import type { SqlExecutor } from './executor.ts';
import { handleSql } from './handler.ts';
import { PgExecutor } from './pg-executor.ts';
import { ArrayTypes } from './pg-text-json.ts';
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

/** Plain JSON answers that are not /sql results. */
const STATS_HEADERS = { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' };

/** Neon's preflight answer (serverless/mod.rs), for browser-style clients. */
const PREFLIGHT_HEADERS = {
  Allow: 'OPTIONS, POST',
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers':
    'Authorization, Neon-Connection-String, Neon-Raw-Text-Output, Neon-Array-Mode, Neon-Pool-Opt-In, Neon-Batch-Read-Only, Neon-Batch-Isolation-Level',
  'Access-Control-Max-Age': '86400',
};

export async function startNeonHttp(opts: StartNeonHttpOptions): Promise<NeonHttpStandIn> {
  const host = opts.host ?? '127.0.0.1';
  const maxRequestBytes = opts.maxRequestBytes ?? 10 * MiB;
  const executor = createExecutor(opts.backend);
  const types = new ArrayTypes();
  const counters = { requests: 0, queries: 0 };
  const deps = {
    executor,
    types,
    maxResponseBytes: opts.maxResponseBytes ?? 10 * MiB,
    onQuery: () => void counters.queries++,
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      console.error('[neon-http] unhandled:', err);
      if (res.headersSent) res.destroy();
      else send(res, 500, STATS_HEADERS, JSON.stringify({ message: 'internal error', code: '' }));
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    // Not counted: a benchmark polling the counters must not change them.
    if (path === '/__stats' && req.method === 'GET') return send(res, 200, STATS_HEADERS, JSON.stringify(counters));
    if (path === '/__stats/reset' && req.method === 'POST') {
      counters.requests = 0;
      counters.queries = 0;
      return send(res, 200, STATS_HEADERS, JSON.stringify(counters));
    }
    counters.requests++;
    if (path === '/sql' && req.method === 'POST') {
      const out = await handleSql({ headers: req.headers, readBody: () => readBody(req, maxRequestBytes) }, deps);
      return send(res, out.status, out.headers, out.body);
    }
    if (path === '/sql' && req.method === 'OPTIONS') return send(res, 200, PREFLIGHT_HEADERS, '');
    // The proxy's answer to anything else.
    return send(res, 400, { 'Content-Type': 'application/json' }, JSON.stringify('query is not supported'));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/sql`,
    stats: () => ({ ...counters }),
    resetStats() {
      counters.requests = 0;
      counters.queries = 0;
    },
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Keep-alive connections from fetch would otherwise hold close() open;
          // requests still running get a moment to finish.
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 1000).unref();
        });
        await executor.close();
      })();
      return closing;
    },
  };
}

function createExecutor(backend: DatabaseBackend): SqlExecutor {
  return backend.kind === 'pglite' ? new PgliteExecutor(backend.pglite) : new PgExecutor(backend.adminUrl);
}

/**
 * Buffers the body up to `limit` bytes. Past it, keeps draining (without
 * storing) so the client can finish sending and read the 413.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) reject(new NeonHttpError(413, `request is too large (max is ${limit} bytes)`));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => reject(new NeonHttpError(400, `could not read the HTTP request body: ${err.message}`)));
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
