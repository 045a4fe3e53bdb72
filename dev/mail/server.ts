/**
 * A local stand-in for Resend's `POST /emails`, for the platform's report emails: it checks the
 * bearer key, checks the body as Resend does, honours `Idempotency-Key`, and writes each message
 * it accepts as a file (outbox.ts) instead of sending it. For development and tests; not a product
 * component.
 *
 * Routes:
 *   POST /emails          Resend's contract: 200 `{ "id" }`, errors as `{ statusCode, message, name }`
 *   GET /__messages       the outbox as JSON, oldest first (`?to=<address>` keeps that recipient's)
 *   POST /__faults        `{ to, status, times? }`: the next sends to `to` fail with `status`
 * Only /emails needs the key.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { capBody, serveStandIn } from '../shared/serve.ts';
import { applicationError, invalidApiKey, missingApiKey, notFound, ResendError, validationError } from './errors.ts';
import { IdempotencyKeys, payloadHash } from './idempotency.ts';
import { Outbox, type StoredMessage } from './outbox.ts';
import { addressOf, parseEmailRequest } from './send-request.ts';

export type { StoredMessage } from './outbox.ts';

export interface MailStandIn {
  /** e.g. http://127.0.0.1:8084; plays the role of https://api.resend.com */
  url: string;
  /** The directory messages are written to. */
  outbox: string;
  messages(): Promise<StoredMessage[]>;
  close(): Promise<void>;
}

export interface StartMailOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string | undefined;
  /** The key callers must send as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** Where message files go (created if missing). */
  outbox: string;
  /** Called once per message written, e.g. to print its path in the dev log. */
  onMessage?: (message: StoredMessage) => void;
}

/** The dev log's line for a message written: who, what, and the file to open. */
export const messageLogLine = (m: StoredMessage) => `[mail] to ${m.to.join(', ')}: "${m.subject}" → ${m.eml_path}`;

/** Resend's limit on a request, attachments included. */
const MAX_BODY_BYTES = 40 * 1024 * 1024;

const reply = (err: ResendError) =>
  new Response(JSON.stringify(err.body), {
    status: err.statusCode,
    headers: { 'content-type': 'application/json' },
  });

export async function startMail(opts: StartMailOptions): Promise<MailStandIn> {
  const outbox = new Outbox(opts.outbox);
  await outbox.open();
  const keys = new IdempotencyKeys();
  for (const m of await outbox.list())
    if (m.idempotency_key) keys.remember(m.idempotency_key, m.request_hash, m.id, Date.parse(m.created_at));
  /** Injected failures by recipient address, so one test's faults never reach another's sends. */
  const faults = new Map<string, { status: number; times: number }>();

  const takeFault = (to: string[]): ResendError | null => {
    for (const mailbox of to) {
      const address = addressOf(mailbox)?.toLowerCase();
      const fault = address ? faults.get(address) : undefined;
      if (!fault) continue;
      if (--fault.times <= 0) faults.delete(address!);
      return fault.status === 429
        ? new ResendError(429, 'rate_limit_exceeded', 'Too many requests. You can only make 2 requests per second.')
        : new ResendError(fault.status, 'application_error', 'Injected failure.');
    }
    return null;
  };

  const app = new Hono();
  app.use(
    '/emails',
    capBody(MAX_BODY_BYTES, () => validationError('The request body is too large.', 413)),
  );
  app.post('/emails', async (c) => {
    const authorization = c.req.header('authorization');
    if (!authorization?.startsWith('Bearer ') || authorization.length === 'Bearer '.length) throw missingApiKey();
    if (authorization.slice('Bearer '.length) !== opts.apiKey) throw invalidApiKey();
    const key = IdempotencyKeys.check(c.req.header('idempotency-key'));
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      throw validationError('The request body is not valid JSON.', 400);
    }
    const message = parseEmailRequest(body);
    const hash = payloadHash(body);
    if (key) {
      const sent = keys.claim(key, hash);
      if (sent) return c.json({ id: sent }, 200);
    }
    try {
      const fault = takeFault(message.to);
      if (fault) throw fault;
      const stored = await outbox.write(message, { id: randomUUID(), idempotencyKey: key, requestHash: hash });
      if (key) keys.settle(key, stored.id);
      opts.onMessage?.(stored);
      return c.json({ id: stored.id }, 200);
    } catch (err) {
      if (key) keys.release(key);
      throw err;
    }
  });
  app.get('/__messages', async (c) => {
    const to = c.req.query('to')?.toLowerCase();
    const all = await outbox.list();
    const data = to ? all.filter((m) => m.to.some((a) => addressOf(a)?.toLowerCase() === to)) : all;
    return c.json({ data });
  });
  app.post('/__faults', async (c) => {
    const f = (await c.req.json().catch(() => ({}))) as { to?: unknown; status?: unknown; times?: unknown };
    const address = typeof f.to === 'string' ? addressOf(f.to)?.toLowerCase() : undefined;
    const status = Number(f.status ?? 500);
    if (!address || !Number.isInteger(status) || status < 400 || status > 599)
      return c.json({ message: 'expected { to: <address>, status: 4xx|5xx, times?: n }' }, 400);
    faults.set(address, { status, times: Math.max(1, Number(f.times ?? 1)) });
    return c.body(null, 204);
  });
  app.notFound(() => reply(notFound()));
  app.onError((err) => {
    if (err instanceof ResendError) return reply(err);
    console.error('[mail] request failed:', err);
    return reply(applicationError());
  });

  const running = await serveStandIn(app, opts.port, opts.host);
  return {
    url: running.origin,
    outbox: opts.outbox,
    messages: () => outbox.list(),
    close: running.close,
  };
}
