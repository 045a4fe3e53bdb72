import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../../context';
import { WEBHOOK_AUTH_HEADER } from '../../integrations/assemblyai';
import { constantTimeEqual } from '../../integrations/signatures/hmac';
import { Invalid, Unauthenticated } from '../../lib/errors';
import { enqueue } from '../../services/call-upload';

const Query = z.object({ tenant: z.string().regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/), call: z.uuid() });
// Only {transcript_id, status}; the redacted-audio notification has another shape and is ignored.
const Body = z.object({ transcript_id: z.string().min(1).max(100).optional(), status: z.string().max(50) });

/**
 * AssemblyAI calls back with the shared secret in a header (no HMAC). The webhook only says that
 * a transcript finished; the collect step fetches it and checks it belongs to the call. A 2xx
 * stops AssemblyAI's retries; duplicates are harmless (the step is idempotent).
 */
export const assemblyaiWebhook = new Hono<AppEnv>().post(
  '/',
  zValidator('query', Query, (r) => {
    if (!r.success) throw new Invalid('Malformed AssemblyAI webhook.');
  }),
  zValidator('json', Body, (r) => {
    if (!r.success) throw new Invalid('Malformed AssemblyAI webhook.');
  }),
  async (c) => {
    const secret = c.req.header(WEBHOOK_AUTH_HEADER) ?? '';
    if (!constantTimeEqual(secret, c.get('config').assemblyai.webhookSecret))
      throw new Unauthenticated('Unknown webhook sender.');
    const { tenant, call } = c.req.valid('query');
    const body = c.req.valid('json');
    if (body.transcript_id && (body.status === 'completed' || body.status === 'error')) {
      await enqueue(c.env, { step: 'collect', tenant_id: tenant, call_id: call, via: 'webhook' });
    }
    return c.json({ received: true }, 200);
  },
);
