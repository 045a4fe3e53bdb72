/** Request bodies as Keycloak reads them: OAuth forms and admin JSON. */
import type { Context } from 'hono';
import { adminError, HttpError, oauthError } from './errors.ts';

const MAX_BODY = 1024 * 1024;

/** The body as text, refused past 1 MiB whether or not the client declared its length. */
export async function readText(c: Context): Promise<string> {
  const tooLarge = new HttpError(413, { error: 'Request entity too large' }, { connection: 'close' });
  if (Number(c.req.header('content-length') ?? 0) > MAX_BODY) throw tooLarge;
  const body = c.req.raw.body;
  if (!body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > MAX_BODY) throw tooLarge;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses an OAuth form body; Keycloak refuses repeated parameters rather than picking one. */
export async function readForm(c: Context): Promise<Map<string, string>> {
  const type = c.req.header('content-type') ?? '';
  const body = await readText(c);
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    if (body.length === 0) return new Map();
    throw oauthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
  const form = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(body)) {
    if (form.has(key)) throw oauthError(400, 'invalid_request', 'duplicated parameter');
    form.set(key, value);
  }
  return form;
}

export async function readJson(c: Context): Promise<unknown> {
  const text = await readText(c);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw adminError(400, 'Cannot parse the JSON');
  }
}
