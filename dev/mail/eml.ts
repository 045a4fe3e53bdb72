/**
 * One message as an RFC 5322 file (`.eml`), MIME multipart/alternative with the text and the HTML
 * part, which any mail client opens. A part whose lines all fit SMTP's 998-octet limit is written
 * as it is (8bit), so the file is readable with `cat` and its links can be copied; a longer line
 * makes that part base64.
 */
import { randomBytes } from 'node:crypto';
import type { EmailRequest } from './send-request.ts';

const CRLF = '\r\n';
const MAX_LINE_OCTETS = 998;

/** A header value outside printable ASCII, as an RFC 2047 encoded word. */
function headerText(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** `Name <address>` with a non-ASCII display name encoded, the address left as it is. */
function mailboxHeader(mailbox: string): string {
  const m = /^([^<>]*?)\s*<([^<>]+)>$/.exec(mailbox.trim());
  if (!m || !m[1]) return mailbox.trim();
  const name = /^[\x20-\x7e]*$/.test(m[1]) ? `"${m[1].replace(/(["\\])/g, '\\$1')}"` : headerText(m[1]);
  return `${name} <${m[2]}>`;
}

function part(contentType: string, content: string): string {
  const normalized = content.replace(/\r?\n/g, CRLF);
  const fits = normalized.split(CRLF).every((line) => Buffer.byteLength(line, 'utf8') <= MAX_LINE_OCTETS);
  const body = fits
    ? normalized
    : (Buffer.from(content, 'utf8')
        .toString('base64')
        .match(/.{1,76}/g)
        ?.join(CRLF) ?? '');
  return [
    `Content-Type: ${contentType}; charset=utf-8`,
    `Content-Transfer-Encoding: ${fits ? '8bit' : 'base64'}`,
    '',
    body,
  ].join(CRLF);
}

export function toEml(message: EmailRequest, meta: { id: string; date: Date; domain: string }): string {
  const headers = [
    `From: ${mailboxHeader(message.from)}`,
    `To: ${message.to.map(mailboxHeader).join(', ')}`,
    ...(message.cc.length ? [`Cc: ${message.cc.map(mailboxHeader).join(', ')}`] : []),
    ...(message.reply_to.length ? [`Reply-To: ${message.reply_to.map(mailboxHeader).join(', ')}`] : []),
    `Subject: ${headerText(message.subject)}`,
    `Date: ${meta.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${meta.id}@${meta.domain}>`,
    'MIME-Version: 1.0',
  ];
  const parts = [
    ...(message.text !== null ? [part('text/plain', message.text)] : []),
    ...(message.html !== null ? [part('text/html', message.html)] : []),
  ];
  if (parts.length === 1) return [...headers, parts[0]!, ''].join(CRLF);
  const boundary = `=_alt_${randomBytes(12).toString('hex')}`;
  return [
    ...headers,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    'This is a multi-part message in MIME format.',
    ...parts.flatMap((p) => [`--${boundary}`, p]),
    `--${boundary}--`,
    '',
  ].join(CRLF);
}
