/**
 * Email through Resend's HTTP API with the official SDK, its base URL from configuration (the local
 * stand-in in dev/mail speaks the same contract). An HTTP API rather than the Workers `send_email`
 * binding: its local simulation writes where neither tests nor developers can point it.
 *
 * Every send carries an idempotency key: Resend answers a repeated key with the first message's id
 * for 24 hours and sends nothing, so a retried step cannot email twice. The payload for a key must
 * not change between tries, or Resend refuses it (409 `invalid_idempotent_request`).
 */
import { Resend } from 'resend';
import type { Config } from '../env';

export interface Email {
  to: string;
  subject: string;
  html: string;
  text: string;
}

export type SendOutcome =
  | { kind: 'sent'; id: string }
  /** The key was used before with other content: a message went out for it then, with no id now. */
  | { kind: 'sent-before' };

/** The provider refused the message for good (bad address, bad key...): retrying changes nothing. */
export class EmailRefused extends Error {
  override name = 'EmailRefused';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The provider could not take the message now (network, 5xx, rate limit, a concurrent try): retry later. */
export class EmailUnavailable extends Error {
  override name = 'EmailUnavailable';
}

/** Errors worth a retry whatever their status. */
const TRANSIENT = new Set(['concurrent_idempotent_requests', 'rate_limit_exceeded', 'daily_quota_exceeded']);

const clients = new WeakMap<Config, Resend>();
function client(config: Config): Resend {
  let c = clients.get(config);
  if (!c) {
    c = new Resend(config.email.apiKey, { baseUrl: config.email.apiUrl });
    clients.set(config, c);
  }
  return c;
}

export async function sendEmail(
  config: Config,
  email: Email,
  opts: { from: string; idempotencyKey: string },
): Promise<SendOutcome> {
  const { data, error } = await client(config).emails.send(
    { from: opts.from, to: [email.to], subject: email.subject, html: email.html, text: email.text },
    { idempotencyKey: opts.idempotencyKey },
  );
  if (data) return { kind: 'sent', id: data.id };
  const status = error?.statusCode ?? null;
  const name = error?.name ?? 'application_error';
  const message = `${name}: ${error?.message ?? 'no answer'}`;
  if (name === 'invalid_idempotent_request') return { kind: 'sent-before' };
  if (status === null || status >= 500 || status === 429 || TRANSIENT.has(name)) throw new EmailUnavailable(message);
  throw new EmailRefused(name, message);
}
