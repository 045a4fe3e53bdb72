import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../../context';
import { WEBHOOK_AUTH_HEADER } from '../../integrations/assemblyai';
import { Invalid } from '../../lib/errors';
import { receiveTranscriptionWebhook } from '../../services/transcription-webhook';
import { webhookContext } from './context';

const Query = z.object({ tenant: z.string().regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/), call: z.uuid() });
// Only {transcript_id, status}; the redacted-audio notification has another shape and is ignored.
const Body = z.object({ transcript_id: z.string().min(1).max(100).optional(), status: z.string().max(50) });

/** `POST /webhooks/assemblyai?tenant=<id>&call=<id>`; a 2xx stops AssemblyAI's retries. */
export const assemblyaiWebhook = new Hono<AppEnv>().post(
  '/',
  zValidator('query', Query, (r) => {
    if (!r.success) throw new Invalid('Malformed AssemblyAI webhook.');
  }),
  zValidator('json', Body, (r) => {
    if (!r.success) throw new Invalid('Malformed AssemblyAI webhook.');
  }),
  async (c) => {
    const { tenant, call } = c.req.valid('query');
    const body = c.req.valid('json');
    await receiveTranscriptionWebhook(webhookContext(c, 'assemblyai', tenant), {
      secret: c.req.header(WEBHOOK_AUTH_HEADER) ?? '',
      callId: call,
      transcriptId: body.transcript_id,
      status: body.status,
    });
    return c.json({ received: true }, 200);
  },
);
