import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import type { AppEnv } from '../../context';
import { WEBHOOK_AUTH_HEADER } from '../../integrations/assemblyai';
import { Invalid } from '../../lib/errors';
import { receiveTranscriptionWebhook } from '../../services/transcription-webhook';
import { webhookContext } from './context';
import { AssemblyaiBody, AssemblyaiQuery } from './schema';

/** `POST /webhooks/assemblyai?tenant=<id>&call=<id>`; a 2xx stops AssemblyAI's retries. */
export const assemblyaiWebhook = new Hono<AppEnv>().post(
  '/',
  zValidator('query', AssemblyaiQuery, (r) => {
    if (!r.success) throw new Invalid('Malformed AssemblyAI webhook.');
  }),
  zValidator('json', AssemblyaiBody, (r) => {
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
