/**
 * Local stand-in for R2's S3 endpoint, for presigned URLs only. `wrangler dev` and the test
 * runner simulate the R2 binding but offer no S3 API, so the Worker answers presigned GET, HEAD
 * and PUT itself on /__r2/<bucket>/<key>, mounted by the local entry only (dev/local-worker.ts), so
 * the production bundle does not contain it,
 * checking the SigV4 query signature exactly as R2 would: same canonical request (every header in
 * X-Amz-SignedHeaders with the value the request carries, so a signed content-length or
 * content-type must match), expiry, and a constant-time comparison. The product code only ever builds presigned URLs.
 */
import { AwsClient } from 'aws4fetch';
import { Hono } from 'hono';
import type { AppEnv } from '../../src/context';
import { loadConfig } from '../../src/env';
import { constantTimeEqual } from '../../src/integrations/signatures/hmac';

const AMZ_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];

function s3Error(code: string, message: string, status: number) {
  return new Response(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    {
      status,
      headers: { 'content-type': 'application/xml' },
    },
  );
}

async function validSignature(request: Request, accessKeyId: string, secretAccessKey: string): Promise<string | null> {
  const url = new URL(request.url);
  const q = url.searchParams;
  const signature = q.get('X-Amz-Signature');
  const datetime = q.get('X-Amz-Date');
  const expires = Number(q.get('X-Amz-Expires'));
  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
  if (!signature || !datetime || !Number.isFinite(expires)) return 'AuthorizationQueryParametersError';
  if (!q.get('X-Amz-Credential')?.startsWith(`${accessKeyId}/`)) return 'InvalidAccessKeyId';
  const signedAt = Date.UTC(
    +datetime.slice(0, 4),
    +datetime.slice(4, 6) - 1,
    +datetime.slice(6, 8),
    +datetime.slice(9, 11),
    +datetime.slice(11, 13),
    +datetime.slice(13, 15),
  );
  if (Date.now() > signedAt + expires * 1000) return 'AccessDenied';

  const unsigned = new URL(url);
  for (const p of AMZ_PARAMS) unsigned.searchParams.delete(p);
  const headers: Record<string, string> = {};
  for (const h of signedHeaders) if (h !== 'host') headers[h] = request.headers.get(h) ?? '';
  const client = new AwsClient({ accessKeyId, secretAccessKey, service: 's3', region: 'auto' });
  const expected = await client.sign(unsigned.toString(), {
    method: request.method,
    headers,
    aws: { signQuery: true, datetime, allHeaders: signedHeaders.length > 1 },
  });
  const expectedSignature = new URL(expected.url).searchParams.get('X-Amz-Signature') ?? '';
  return constantTimeEqual(expectedSignature, signature) ? null : 'SignatureDoesNotMatch';
}

export const r2Gateway = new Hono<AppEnv>().all('/:bucket/*', async (c) => {
  const { r2 } = loadConfig(c.env);
  const bucket = c.req.param('bucket');
  if (bucket !== r2.bucket) return s3Error('NoSuchBucket', 'The specified bucket does not exist.', 404);
  const failure = await validSignature(c.req.raw, r2.accessKeyId, r2.secretAccessKey);
  if (failure) return s3Error(failure, 'Request was not signed as R2 expects.', 403);
  const key = decodeURIComponent(new URL(c.req.url).pathname.slice(`/__r2/${bucket}/`.length));
  switch (c.req.method) {
    case 'GET':
    case 'HEAD': {
      const object = await c.env.AUDIO.get(key);
      if (!object) return s3Error('NoSuchKey', 'The specified key does not exist.', 404);
      const headers = {
        'content-type': object.httpMetadata?.contentType ?? 'application/octet-stream',
        'content-length': String(object.size),
        etag: object.httpEtag,
      };
      return new Response(c.req.method === 'HEAD' ? null : object.body, { headers });
    }
    case 'PUT': {
      // As on R2: a PUT states its length, and the body is exactly that long (HTTP framing; a
      // signed content-length, checked above, then binds the size). Nothing else is enforced
      // here that R2 would not enforce: no size limit, no content check.
      const length = Number(c.req.header('content-length') ?? NaN);
      if (!c.req.raw.body || !Number.isSafeInteger(length) || length < 0)
        return s3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411);
      const body = c.req.raw.body.pipeThrough(new FixedLengthStream(length));
      const object = await c.env.AUDIO.put(key, body, {
        httpMetadata: { contentType: c.req.header('content-type') ?? 'application/octet-stream' },
      });
      return new Response(null, { status: 200, headers: { etag: object?.httpEtag ?? '' } });
    }
    default:
      return s3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
  }
});
