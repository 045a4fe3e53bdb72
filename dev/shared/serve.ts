/**
 * The one HTTP base every stand-in is built on: a Hono app served on node:http by
 * @hono/node-server. A stand-in writes routes; listening, the origin it answers on and a close
 * that does not wait for keep-alive sockets live here.
 */
import { createAdaptorServer } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listenOn, urlHost } from './http.ts';

export interface RunningStandIn {
  /** `http://host:port`, with wildcard addresses reached through loopback. */
  origin: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Anything with Hono's `fetch`; a Hono app of any env type fits. */
export interface FetchApp {
  // The second argument carries @hono/node-server's bindings (the incoming socket, for getConnInfo).
  fetch(request: Request, env?: unknown): Response | Promise<Response>;
}

export async function serveStandIn(app: FetchApp, port: number, host = '127.0.0.1'): Promise<RunningStandIn> {
  // overrideGlobalObjects would replace the process's Request/Response; the stand-ins share a
  // process with the test runner and the stack launcher, so leave the globals alone.
  const server = createAdaptorServer({
    fetch: (req, env) => app.fetch(withCopyableBody(req), env),
    overrideGlobalObjects: false,
  }) as Server;
  await listenOn(server, port, host);
  const actual = (server.address() as AddressInfo).port;
  return { origin: `http://${urlHost(host)}:${actual}`, port: actual, server, close: () => closeServer(server) };
}

/**
 * A request body cap answering in the vendor's own shape: `tooLarge` is thrown for the app's onError.
 * A declared Content-Length is judged before the body is touched: hono/body-limit opens the body
 * stream even to refuse it, and a half-read stream stops @hono/node-server from draining the rest,
 * so it drops the connection and a client reusing it fails. Streamed bodies go to hono/body-limit.
 */
export function capBody(maxSize: number, tooLarge: (max: number) => Error): MiddlewareHandler {
  const streamed = bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge(maxSize);
    },
  });
  return (c, next) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(declared) > maxSize) throw tooLarge(maxSize);
      return next();
    }
    return streamed(c, next);
  };
}

/**
 * hono/body-limit re-wraps a streamed (chunked) body in `new Request(c.req.raw, ...)`. Without the
 * overridden globals the platform's Request cannot copy @hono/node-server's lazy request object, so
 * such a request reaches the app as a platform Request. Others stay lazy: a body nobody reads (a 401,
 * a 413 by Content-Length) is then drained by the server and the connection kept.
 */
function withCopyableBody(req: Request): Request {
  if (!req.headers.has('transfer-encoding')) return req;
  const init = { method: req.method, headers: req.headers, body: req.body, signal: req.signal, duplex: 'half' };
  return new Request(req.url, init as RequestInit);
}
