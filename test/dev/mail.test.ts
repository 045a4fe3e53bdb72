/**
 * The mail stand-in speaks Resend's `POST /emails` contract, through the official SDK as the
 * Worker uses it, and writes one readable .eml (plus .json) per message it accepts.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import PostalMime from 'postal-mime';
import { Resend } from 'resend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMail, type MailStandIn, type StoredMessage } from '../../dev/mail/index.ts';

const KEY = 're_test_key';
let outbox: string;
let mail: MailStandIn;
let resend: Resend;
const written: StoredMessage[] = [];

/** A JSON answer, as whatever it holds. */
const body = async (res: Response): Promise<any> => res.json();
const uniq = () => crypto.randomUUID().slice(0, 8);
const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${mail.url}/emails`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const message = (to = `${uniq()}@example.com`) => ({
  from: 'QA Reports <reports@example.com>',
  to: [to],
  subject: 'Weekly scores — Acme',
  text: 'Your report is ready.\nhttps://example.com/download?X-Amz-Signature=abc&X-Amz-Expires=60',
  html: '<p>Your report is <a href="https://example.com/download?a=1&amp;b=2">ready</a>.</p>',
});

beforeAll(async () => {
  outbox = await mkdtemp(join(tmpdir(), 'mail-standin-'));
  mail = await startMail({ port: 0, apiKey: KEY, outbox, onMessage: (m) => written.push(m) });
  resend = new Resend(KEY, { baseUrl: mail.url });
});

afterAll(async () => {
  await mail?.close();
  await rm(outbox, { recursive: true, force: true });
});

describe('POST /emails', () => {
  it('answers an id, as Resend does, and writes one .eml and one .json for the message', async () => {
    const m = message();
    const { data, error } = await resend.emails.send(m);
    expect(error).toBeNull();
    expect(data!.id).toMatch(/^[0-9a-f-]{36}$/);
    const files = (await readdir(outbox)).filter((f) => f.includes(data!.id)).sort();
    expect(files.map((f) => extname(f)).sort()).toEqual(['.eml', '.json']);

    const stored = written.find((w) => w.id === data!.id)!;
    expect(stored).toMatchObject({ to: m.to, subject: m.subject, text: m.text, html: m.html, from: m.from });
    const json = JSON.parse(await readFile(stored.json_path, 'utf8'));
    expect(json).toMatchObject({ id: data!.id, to: m.to, subject: m.subject });
  });

  it('writes an RFC 5322 message a mail parser reads back: headers, text part and HTML part', async () => {
    const m = message();
    const { data } = await resend.emails.send(m);
    const stored = written.find((w) => w.id === data!.id)!;
    const raw = await readFile(stored.eml_path, 'utf8');
    expect(raw, 'lines end in CRLF').toContain('\r\nMIME-Version: 1.0\r\n');
    expect(raw, 'the link is readable in the file as it is').toContain(
      'https://example.com/download?X-Amz-Signature=abc&X-Amz-Expires=60',
    );
    const parsed = await PostalMime.parse(raw);
    expect(parsed.from).toMatchObject({ name: 'QA Reports', address: 'reports@example.com' });
    expect(parsed.to?.map((t) => t.address)).toEqual(m.to);
    expect(parsed.subject, 'the non-ASCII subject survives its encoding').toBe(m.subject);
    expect(parsed.text?.trim()).toBe(m.text);
    expect(parsed.html?.trim()).toBe(m.html);
    expect(parsed.messageId).toBe(`<${data!.id}@mail.localhost>`);
  });

  it('base64-encodes a part with a line longer than SMTP allows, and it still reads back', async () => {
    const m = { ...message(), text: `x${'y'.repeat(2000)}z` };
    const { data } = await resend.emails.send(m);
    const raw = await readFile(written.find((w) => w.id === data!.id)!.eml_path, 'utf8');
    expect(raw.split('\r\n').every((line) => line.length <= 998)).toBe(true);
    expect((await PostalMime.parse(raw)).text?.trim()).toBe(m.text);
  });

  it('sends once per idempotency key: the same payload again answers the same id and writes nothing', async () => {
    const m = message();
    const key = `report-${uniq()}`;
    const first = await resend.emails.send(m, { idempotencyKey: key });
    const before = (await readdir(outbox)).length;
    const again = await resend.emails.send(m, { idempotencyKey: key });
    expect(again.data?.id).toBe(first.data?.id);
    expect((await readdir(outbox)).length, 'no second message').toBe(before);
    const listed = await body(await fetch(`${mail.url}/__messages?to=${m.to[0]}`));
    expect(listed.data).toHaveLength(1);
  });

  it('refuses the same idempotency key with another payload, 409 as Resend does', async () => {
    const key = `report-${uniq()}`;
    await resend.emails.send(message(), { idempotencyKey: key });
    const { data, error } = await resend.emails.send(message(), { idempotencyKey: key });
    expect(data).toBeNull();
    expect(error).toMatchObject({ statusCode: 409, name: 'invalid_idempotent_request' });
  });

  it('remembers idempotency keys across a restart, from the outbox', async () => {
    const m = message();
    const key = `report-${uniq()}`;
    const first = await resend.emails.send(m, { idempotencyKey: key });
    const restarted = await startMail({ port: 0, apiKey: KEY, outbox });
    try {
      const again = await new Resend(KEY, { baseUrl: restarted.url }).emails.send(m, { idempotencyKey: key });
      expect(again.data?.id).toBe(first.data?.id);
    } finally {
      await restarted.close();
    }
  });

  it('refuses an idempotency key longer than 256 characters', async () => {
    const res = await post(message(), { 'idempotency-key': 'k'.repeat(257) });
    expect(res.status).toBe(400);
    expect(await body(res)).toEqual({
      statusCode: 400,
      name: 'invalid_idempotency_key',
      message: 'The key must be between 1-256 chars.',
    });
  });

  it.each([
    ['from', 'Missing `from` field.'],
    ['to', 'Missing `to` field.'],
    ['subject', 'Missing `subject` field.'],
  ])('answers 422 missing_required_field without %s', async (field, text) => {
    const incomplete: Record<string, unknown> = message();
    delete incomplete[field];
    const res = await post(incomplete);
    expect(res.status).toBe(422);
    expect(await body(res)).toEqual({ statusCode: 422, name: 'missing_required_field', message: text });
  });

  it('needs html or text', async () => {
    const { html: _h, text: _t, ...rest } = message();
    const res = await post(rest);
    expect(res.status).toBe(422);
    expect((await body(res)).name).toBe('missing_required_field');
  });

  it('checks the from address and the number of recipients', async () => {
    const bad = await post({ ...message(), from: 'not an address' });
    expect(bad.status).toBe(422);
    expect((await body(bad)).name).toBe('validation_error');
    const many = await post({ ...message(), to: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`) });
    expect(many.status).toBe(422);
    expect((await body(many)).message).toMatch(/at most 50/);
  });

  it('needs the bearer key: none is 401 missing_api_key, another is 403 invalid_api_key', async () => {
    const none = await fetch(`${mail.url}/emails`, { method: 'POST', body: JSON.stringify(message()) });
    expect(none.status).toBe(401);
    expect((await body(none)).name).toBe('missing_api_key');
    const wrong = await new Resend('re_wrong', { baseUrl: mail.url }).emails.send(message());
    expect(wrong.error).toMatchObject({ statusCode: 403, name: 'invalid_api_key' });
  });

  it('fails the next sends to an address on request, and the same key then sends once', async () => {
    const m = message();
    const key = `report-${uniq()}`;
    const fault = await fetch(`${mail.url}/__faults`, {
      method: 'POST',
      body: JSON.stringify({ to: m.to[0], status: 503, times: 1 }),
    });
    expect(fault.status).toBe(204);
    const failed = await resend.emails.send(m, { idempotencyKey: key });
    expect(failed.error).toMatchObject({ statusCode: 503 });
    const retried = await resend.emails.send(m, { idempotencyKey: key });
    expect(retried.error).toBeNull();
    const listed = await body(await fetch(`${mail.url}/__messages?to=${m.to[0]}`));
    expect(listed.data.map((x: StoredMessage) => x.id)).toEqual([retried.data!.id]);
  });
});
