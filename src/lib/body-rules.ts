import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../context';
import { problem } from './problem';

/** JSON bodies of the API are small; the streaming call upload has its own limits. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/** A course arrives with all its modules and lessons in one body, so its writes may be larger. */
export const MAX_COURSE_BODY_BYTES = 512 * 1024;

export type StreamsItsBody = (method: string, path: string) => boolean;
/** The larger JSON limit a route needs, or undefined for the default. */
export type LargerBodyOf = (method: string, path: string) => number | undefined;

const limitOf = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: (c) => problem(c, 'payload-too-large', `JSON bodies here are limited to ${maxSize} bytes.`),
  });

/**
 * Bodies are JSON and at most 64 KB (or the larger limit a route is given), except on routes
 * that stream their body and enforce their own limits (the router that owns such a route says which).
 */
export function jsonBodies(streamsItsBody: StreamsItsBody = () => false, largerBodyOf: LargerBodyOf = () => undefined) {
  const limit = limitOf(MAX_JSON_BODY_BYTES);
  const larger = new Map<number, ReturnType<typeof limitOf>>();
  const sizeFirst = createMiddleware<AppEnv>(async (c, next) => {
    if (streamsItsBody(c.req.method, c.req.path)) return next();
    const size = largerBodyOf(c.req.method, c.req.path);
    if (size === undefined) return limit(c, next);
    if (!larger.has(size)) larger.set(size, limitOf(size));
    return larger.get(size)!(c, next);
  });
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
