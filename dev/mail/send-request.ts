/**
 * The body of `POST /emails`, checked the way Resend checks it: `from`, `to` and `subject` are
 * required, and `html` or `text`; `from` is an address or `Name <address>`; at most 50 recipients
 * in `to`. Fields the platform never sends (attachments, tags, scheduled_at...) are accepted and
 * ignored, as they would not change what the stand-in writes.
 */
import { missingField, validationError } from './errors.ts';

export interface EmailRequest {
  from: string;
  to: string[];
  cc: string[];
  reply_to: string[];
  subject: string;
  html: string | null;
  text: string | null;
}

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const NAMED = /^([^<>]*?)\s*<([^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)>$/;
export const MAX_RECIPIENTS = 50;

/** `Name <address>` or `address`: the address part, or null when it is neither. */
export function addressOf(mailbox: string): string | null {
  const trimmed = mailbox.trim();
  if (ADDRESS.test(trimmed)) return trimmed;
  return NAMED.exec(trimmed)?.[2] ?? null;
}

const present = (v: unknown) => v !== undefined && v !== null && v !== '';

function addressList(value: unknown, field: string, max: number): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((a) => typeof a !== 'string'))
    throw validationError(`Invalid \`${field}\` field. It must be a string or an array of strings.`);
  if (list.length > max) throw validationError(`Invalid \`${field}\` field. It may contain at most ${max} addresses.`);
  for (const a of list as string[])
    if (!addressOf(a))
      throw validationError(
        `Invalid \`${field}\` field. The email address needs to follow the \`email@example.com\` or \`Name <email@example.com>\` format.`,
      );
  return list as string[];
}

export function parseEmailRequest(body: unknown): EmailRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw validationError('The request body must be a JSON object.', 400);
  const b = body as Record<string, unknown>;
  for (const field of ['from', 'to', 'subject'] as const) if (!present(b[field])) throw missingField(field);
  if (!present(b.html) && !present(b.text)) throw missingField('html` or `text');
  if (typeof b.from !== 'string' || !addressOf(b.from))
    throw validationError(
      'Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.',
    );
  if (typeof b.subject !== 'string') throw validationError('Invalid `subject` field. It must be a string.');
  for (const field of ['html', 'text'] as const)
    if (present(b[field]) && typeof b[field] !== 'string')
      throw validationError(`Invalid \`${field}\` field. It must be a string.`);
  return {
    from: b.from,
    to: addressList(b.to, 'to', MAX_RECIPIENTS),
    cc: present(b.cc) ? addressList(b.cc, 'cc', MAX_RECIPIENTS) : [],
    reply_to: present(b.reply_to) ? addressList(b.reply_to, 'reply_to', MAX_RECIPIENTS) : [],
    subject: b.subject,
    html: present(b.html) ? (b.html as string) : null,
    text: present(b.text) ? (b.text as string) : null,
  };
}
