/** Minimal HTTP plumbing over node:http: a path router, body readers and reply writing. */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { adminError, HttpError, oauthError } from './errors.ts';

export interface Reply {
  status: number;
  /** objects and arrays are sent as JSON; undefined sends no body */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RequestContext {
  method: string;
  url: URL;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  remoteAddress: string;
  body(): Promise<Buffer>;
}

export type Handler = (ctx: RequestContext) => Promise<Reply>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export type RouteMatch =
  | { kind: 'found'; handler: Handler; params: Record<string, string> }
  | { kind: 'method-not-allowed' }
  | { kind: 'not-found' };

/** Matches `/realms/:realm/...` style patterns segment by segment; params are URL-decoded. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler): void {
    this.routes.push({ method, segments: path.split('/').filter(Boolean), handler });
  }

  match(method: string, pathname: string): RouteMatch {
    let segments: string[];
    try {
      segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return { kind: 'not-found' };
    }
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method === method) return { kind: 'found', handler: route.handler, params };
    }
    return pathMatched ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const value = actual[i] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = value;
    else if (part !== value) return undefined;
  }
  return params;
}

const MAX_BODY = 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY) {
        chunks.push(chunk);
        return;
      }
      // Drain the rest instead of resetting the socket, so the client still receives the 413.
      req.off('data', onData);
      req.resume();
      reject(new HttpError(413, { error: 'Request entity too large' }, { connection: 'close' }));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Parses an OAuth form body; Keycloak refuses repeated parameters rather than picking one. */
export async function readForm(ctx: RequestContext): Promise<Map<string, string>> {
  const type = ctx.headers['content-type'] ?? '';
  const body = await ctx.body();
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    if (body.length === 0) return new Map();
    throw oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
  const params = new URLSearchParams(body.toString('utf8'));
  const form = new Map<string, string>();
  for (const [key, value] of params) {
    if (form.has(key)) throw oauthError(400, 'invalid_request', 'duplicated parameter');
    form.set(key, value);
  }
  return form;
}

export async function readJson(ctx: RequestContext): Promise<unknown> {
  const text = (await ctx.body()).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw adminError(400, 'Cannot parse the JSON');
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

export function noContent(headers: Record<string, string> = {}): Reply {
  return { status: 204, headers };
}

export function writeReply(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload: string | undefined;
  if (reply.body !== undefined && reply.status !== 204) {
    payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}
