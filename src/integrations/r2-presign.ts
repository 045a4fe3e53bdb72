import { AwsClient } from 'aws4fetch';
import type { Config } from '../env';

/**
 * Presigned R2 URLs (S3 API, SigV4 in the query). Service and region are passed explicitly:
 * aws4fetch would otherwise guess them from the host and sign a local endpoint wrongly.
 * Every header given is signed (`X-Amz-SignedHeaders`), so the request must carry it with exactly
 * that value: a signed `content-length` binds the size of a PUT, a signed `content-type` its type.
 * The headers go to the signer as they are, not through a `Request`, which may drop
 * `content-length` from a bodiless request.
 */
export async function presignR2(
  config: Config,
  method: 'GET' | 'PUT' | 'HEAD',
  key: string,
  expiresSeconds: number,
  headers: Record<string, string> = {},
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
    aws: { signQuery: true, allHeaders: Object.keys(headers).length > 0 },
  });
  return signed.url;
}

/** The object key of a call's audio: tenant first, so a tenant's objects can be listed or purged together. */
export const audioKey = (tenantId: string, callId: string) => `${tenantId}/calls/${callId}/audio`;

/**
 * Where a direct upload's presigned PUT writes: a staging area of its own, never a key anything
 * plays back or transcribes. `/complete` copies the checked object to the call's key.
 */
export const STAGING_PREFIX = 'uploads/';
export const stagingKey = (tenantId: string, callId: string) => `${STAGING_PREFIX}${tenantId}/${callId}`;
