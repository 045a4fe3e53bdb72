import { sql, type SQL } from 'drizzle-orm';
import { toHex, utf8 } from '../integrations/signatures/hmac';

/** Who acts, on which tenant, for which request: what the database is asked to trust. */
export interface ContextClaims {
  tenantId: string | null;
  actorId: string;
  role: string;
  requestId: string;
}

/**
 * How long a signed context may be presented. The database refuses one older than this, or one
 * claiming more than five minutes; its nonce is spent on first use, so within the minute it can
 * still open only the one transaction it was made for.
 */
export const CONTEXT_LIFETIME_SECONDS = 60;

interface ContextKey {
  id: string;
  key: CryptoKey;
}
const keys = new Map<string, Promise<ContextKey>>();

/** The key id is the first 8 bytes of the key's SHA-256, as `qa_private.register_context_key` derives it. */
function contextKey(secretB64: string): Promise<ContextKey> {
  let key = keys.get(secretB64);
  if (!key) {
    const raw = Uint8Array.from(atob(secretB64), (c) => c.charCodeAt(0));
    key = Promise.all([
      crypto.subtle.digest('SHA-256', raw),
      crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
    ]).then(([digest, hmacKey]) => ({ id: toHex(new Uint8Array(digest).slice(0, 8)), key: hmacKey }));
    keys.set(secretB64, key);
  }
  return key;
}

/** The arguments of `set_tenant_context`, in order. */
export type SignedContext = [
  tenant: string,
  actor: string,
  role: string,
  requestId: string,
  expiresAt: number,
  nonce: string,
  keyId: string,
  mac: string,
];

/**
 * Signs the claims: HMAC-SHA256 over the newline-joined fields, a fresh nonce and an expiry. The
 * payload format is shared with `qa_private.open_context` (migrations/0008); a field containing a
 * newline would make it ambiguous, so none may.
 */
export async function signContext(secretB64: string, claims: ContextClaims, now = Date.now()): Promise<SignedContext> {
  const fields = [claims.tenantId ?? '', claims.actorId, claims.role, claims.requestId] as const;
  if (fields.some((f) => f.includes('\n'))) throw new TypeError('context fields must not contain a newline');
  const { id, key } = await contextKey(secretB64);
  const expiresAt = Math.floor(now / 1000) + CONTEXT_LIFETIME_SECONDS;
  const nonce = crypto.randomUUID();
  const payload = ['qa-context-v1', id, ...fields, String(expiresAt), nonce].join('\n');
  const mac = toHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8(payload))));
  return [...fields, expiresAt, nonce, id, mac];
}

/** `select set_tenant_context(...)` with the claims signed. */
export async function signedContextStatement(secretB64: string, claims: ContextClaims): Promise<SQL> {
  const [tenant, actor, role, request, expiresAt, nonce, keyId, mac] = await signContext(secretB64, claims);
  return sql`select set_tenant_context(${tenant}, ${actor}, ${role}, ${request}, ${expiresAt}, ${nonce}::uuid, ${keyId}, ${mac})`;
}
