import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context';
import { problem } from './problem';

/** JSON bodies of the API are small; the streaming call upload has its own limits. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

export type StreamsItsBody = (method: string, path: string) => boolean;

/**
 * Bodies are JSON and at most 64 KB, except on routes that stream their body and enforce their
 * own limits (the router that owns such a route says which).
 */
export function jsonBodies(streamsItsBody: StreamsItsBody = () => false) {
  const limit = bodyLimit({
    maxSize: MAX_JSON_BODY_BYTES,
    onError: (c) => problem(c, 'payload-too-large', `JSON bodies are limited to ${MAX_JSON_BODY_BYTES} bytes.`),
  });
  const sizeFirst = createMiddleware<AppEnv>(async (c, next) =>
    streamsItsBody(c.req.method, c.req.path) ? next() : limit(c, next),
  );
  const thenType = createMiddleware<AppEnv>(async (c, next) => {
    const method = c.req.method;
    if (streamsItsBody(method, c.req.path)) return next();
    const hasBody = Number(c.req.header('content-length') ?? 0) > 0 || c.req.header('transfer-encoding') !== undefined;
    if ((method === 'POST' || method === 'PUT' || method === 'PATCH') && hasBody) {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/(.+\+)?json\b/i.test(type))
        return problem(c, 'unsupported-media-type', 'Send the body as application/json.');
    }
    await next();
  });
  return [sizeFirst, thenType] as const;
}

/** Provider callbacks (JSON or form-encoded) are small too; their media comes by URL. */
export const webhookBodies = bodyLimit({
  maxSize: MAX_JSON_BODY_BYTES,
  onError: (c) => problem(c, 'payload-too-large', 'Webhook bodies are limited to 64 KB.'),
});
