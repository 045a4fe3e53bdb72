import { AwsClient } from 'aws4fetch';
import type { Config } from '../env';

/**
 * Presigned R2 URLs (S3 API, SigV4 in the query). Service and region are passed explicitly:
 * aws4fetch would otherwise guess them from the host and sign a local endpoint wrongly.
 * Every header given is signed (`X-Amz-SignedHeaders`), so the request must carry it with exactly
 * that value: a signed `content-length` binds the size of a PUT, a signed `content-type` its type.
 * The headers go to the signer as they are, not through a `Request`, which may drop
 * `content-length` from a bodiless request. `signedAt` (default now) starts the validity: signing
 * the same object at the same instant gives the same URL, which a message sent with an idempotency
 * key needs to stay the same message when it is tried again.
 */
export async function presignR2(
  config: Config,
  method: 'GET' | 'PUT' | 'HEAD',
  key: string,
  expiresSeconds: number,
  headers: Record<string, string> = {},
  signedAt?: Date,
): Promise<string> {
  const client = new AwsClient({
    accessKeyId: config.r2.accessKeyId,
    secretAccessKey: config.r2.secretAccessKey,
    service: 's3',
    region: 'auto',
  });
  const url = new URL(`${config.r2.endpoint}/${config.r2.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
  url.searchParams.set('X-Amz-Expires', String(expiresSeconds));
  const signed = await client.sign(url.toString(), {
    method,
    headers,
    aws: {
      signQuery: true,
      allHeaders: Object.keys(headers).length > 0,
      ...(signedAt ? { datetime: signedAt.toISOString().replace(/[:-]|\.\d{3}/g, '') } : {}),
    },
  });
  return signed.url;
}

/** The longest validity a presigned URL may have (SigV4's limit, which R2 applies too). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** The object key of a call's audio: tenant first, so a tenant's objects can be listed or purged together. */
export const audioKey = (tenantId: string, callId: string) => `${tenantId}/calls/${callId}/audio`;

/**
 * Where a direct upload's presigned PUT writes: a staging area of its own, never a key anything
 * plays back or transcribes. `/complete` copies the checked object to the call's key.
 */
export const STAGING_PREFIX = 'uploads/';
export const stagingKey = (tenantId: string, callId: string) => `${STAGING_PREFIX}${tenantId}/${callId}`;
