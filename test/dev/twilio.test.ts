/**
 * The Twilio stand-in: recording media behind Basic auth the way api.twilio.com serves it, and status
 * callbacks delivered to a local receiver, signed for the tenant's public URL.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callStatusCallbackParams,
  parseWav,
  pcmWav,
  randomSid,
  recordingCallbackParams,
  startTwilio,
  type TwilioStandIn,
} from '../../dev/twilio/index.ts';
import {
  paramsFromForm,
  twilioSignature,
  validateTwilioSignature,
} from '../../src/integrations/signatures/twilio-signature.ts';

const ACCOUNT = randomSid('AC');
const TOKEN = 'test-auth-token';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const AUTH = { Authorization: basic(ACCOUNT, TOKEN) };

const AUTHENTICATE = {
  code: 20003,
  message: 'Authenticate',
  more_info: 'https://www.twilio.com/docs/errors/20003',
  status: 401,
};

let twilio: TwilioStandIn;

beforeAll(async () => {
  twilio = await startTwilio({ port: 0 });
});

afterAll(async () => {
  await twilio?.close();
});

const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());

describe('recording media', () => {
  const audio = pcmWav({ seconds: 2, channels: 2 });
  let recordingUrl: string;

  beforeAll(() => {
    ({ recordingUrl } = twilio.addRecording({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      recordingSid: randomSid('RE'),
      audio,
    }));
  });

  it('gives the URL Twilio would send: media host, account, recording, no extension', () => {
    expect(recordingUrl).toMatch(
      new RegExp(`^${twilio.url}/2010-04-01/Accounts/${ACCOUNT}/Recordings/RE[0-9a-f]{32}$`),
    );
  });

  it('serves the WAV with the right Basic credentials, with no extension and with .wav', async () => {
    for (const url of [recordingUrl, `${recordingUrl}.wav`]) {
      const res = await fetch(url, { headers: AUTH });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('audio/x-wav');
      expect(res.headers.get('content-length')).toBe(String(audio.length));
      expect(await bytesOf(res)).toEqual(audio);
    }
  });

  it('answers HEAD with the headers of the GET and no body', async () => {
    const res = await fetch(recordingUrl, { method: 'HEAD', headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(audio.length));
    expect((await bytesOf(res)).length).toBe(0);
  });

  it("answers 401 in Twilio's error shape without or with wrong credentials, and counts them", async () => {
    const before = twilio.stats();
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: basic(ACCOUNT, 'wrong-token') },
      { Authorization: basic(randomSid('AC'), TOKEN) },
      { Authorization: `Bearer ${TOKEN}` },
      { Authorization: 'Basic !!!' },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${recordingUrl}.wav`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="Twilio API"');
      expect(await res.json()).toEqual(AUTHENTICATE);
    }
    const after = twilio.stats();
    expect(after.unauthorized - before.unauthorized).toBe(attempts.length);
    expect(after.mediaRequests - before.mediaRequests).toBe(attempts.length);
  });

  it('answers 404 (20404) for an unknown recording, an unregistered .mp3 and other extensions', async () => {
    const unknown = `${twilio.url}/2010-04-01/Accounts/${ACCOUNT}/Recordings/${randomSid('RE')}.wav`;
    for (const url of [unknown, `${recordingUrl}.mp3`, `${recordingUrl}.ogg`]) {
      const res = await fetch(url, { headers: AUTH });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { code: number; status: number; message: string; more_info: string };
      expect(body).toMatchObject({ code: 20404, status: 404, more_info: 'https://www.twilio.com/docs/errors/20404' });
      expect(body.message).toBe(`The requested resource ${new URL(url).pathname} was not found`);
    }
  });

  it('checks credentials before revealing whether a recording exists', async () => {
    const res = await fetch(`${twilio.url}/2010-04-01/Accounts/${ACCOUNT}/Recordings/${randomSid('RE')}`);
    expect(res.status).toBe(401);
  });

  it('serves .mp3 as audio/mpeg only when MP3 bytes were registered', async () => {
    const mp3 = new Uint8Array([0xff, 0xfb, 0x90, 0x64, 1, 2, 3]);
    const rec = twilio.addRecording({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      recordingSid: randomSid('RE'),
      audio,
      mp3,
    });
    const res = await fetch(`${rec.recordingUrl}.mp3`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(await bytesOf(res)).toEqual(mp3);
    expect(await bytesOf(await fetch(rec.recordingUrl, { headers: AUTH }))).toEqual(audio);
  });

  it('refuses methods other than GET and HEAD', async () => {
    const res = await fetch(recordingUrl, { method: 'DELETE', headers: AUTH });
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ code: 20004, status: 405 });
  });

  it('reads duration and channels from the WAV header unless given', () => {
    const rec = twilio.addRecording({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      recordingSid: randomSid('RE'),
      audio: pcmWav({ seconds: 3 }),
    });
    expect(rec).toMatchObject({ durationSeconds: 3, channels: 1 });
    expect(rec.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    const given = twilio.addRecording({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      recordingSid: randomSid('RE'),
      audio: new Uint8Array([1, 2, 3]),
      durationSeconds: 42,
      channels: 2,
    });
    expect(given).toMatchObject({ durationSeconds: 42, channels: 2 });
    expect(parseWav(new Uint8Array([1, 2, 3]))).toBeUndefined();
    expect(parseWav(pcmWav({ seconds: 1.5, channels: 2, sampleRate: 16000 }))).toEqual({
      channels: 2,
      sampleRate: 16000,
      durationSeconds: 1.5,
    });
  });

  it('refuses malformed SIDs, duplicates and a second token for one account', () => {
    const base = { accountSid: ACCOUNT, authToken: TOKEN, audio };
    expect(() => twilio.addRecording({ ...base, recordingSid: 'RE123' })).toThrow(/recording SID/);
    expect(() =>
      twilio.addRecording({ ...base, accountSid: 'XX' + ACCOUNT.slice(2), recordingSid: randomSid('RE') }),
    ).toThrow(/account SID/);
    const recordingSid = randomSid('RE');
    twilio.addRecording({ ...base, recordingSid });
    expect(() => twilio.addRecording({ ...base, recordingSid })).toThrow(/already registered/);
    expect(() => twilio.addRecording({ ...base, authToken: 'other', recordingSid: randomSid('RE') })).toThrow(
      /another auth token/,
    );
  });

  it('accepts the placeholder SIDs of docs and fixtures', async () => {
    const X = 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';
    const rec = twilio.addRecording({
      accountSid: `AC${X}`,
      authToken: 'placeholder',
      recordingSid: `RE${X}`,
      callSid: `CA${X}`,
      audio,
    });
    expect(rec.recordingUrl).toBe(`${twilio.url}/2010-04-01/Accounts/AC${X}/Recordings/RE${X}`);
    expect((await fetch(rec.recordingUrl, { headers: { Authorization: basic(`AC${X}`, 'placeholder') } })).status).toBe(
      200,
    );
  });

  it('can answer a recording URL with a redirect, after the auth check', async () => {
    const rec = twilio.addRecording({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      recordingSid: randomSid('RE'),
      audio,
      redirectTo: 'https://media.example.net/rec.wav',
    });
    expect((await fetch(rec.recordingUrl, { redirect: 'manual' })).status).toBe(401);
    const res = await fetch(rec.recordingUrl, { headers: AUTH, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://media.example.net/rec.wav');
  });

  it('redirects anywhere from the test-only /redirect path', async () => {
    const to = 'http://169.254.169.254/latest/meta-data/';
    const res = await fetch(`${twilio.url}/redirect?to=${encodeURIComponent(to)}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(to);
    expect((await fetch(`${twilio.url}/redirect?to=file:///etc/passwd`, { redirect: 'manual' })).status).toBe(400);
    expect((await fetch(`${twilio.url}/redirect`, { redirect: 'manual' })).status).toBe(400);
  });

  it('reports its counters at /__stats without changing them', async () => {
    const first = (await (await fetch(`${twilio.url}/__stats`)).json()) as object;
    expect(first).toEqual(twilio.stats());
    expect(await (await fetch(`${twilio.url}/__stats`)).json()).toEqual(first);
  });
});

describe('media without enforced auth', () => {
  it('serves recordings without credentials when requireAuth is false', async () => {
    const open = await startTwilio({ port: 0, requireAuth: false });
    try {
      const audio = pcmWav({ seconds: 0.1 });
      const rec = open.addRecording({ accountSid: ACCOUNT, authToken: TOKEN, recordingSid: randomSid('RE'), audio });
      const res = await fetch(rec.recordingUrl);
      expect(res.status).toBe(200);
      expect(await bytesOf(res)).toEqual(audio);
      expect(open.stats()).toEqual({ mediaRequests: 1, unauthorized: 0 });
    } finally {
      await open.close();
    }
  });
});

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('status callbacks', () => {
  let receiver: Server;
  let deliverBase: string;
  const received: Received[] = [];
  // What the tenant configured at Twilio; the request itself goes to the local receiver.
  const publicUrl = 'https://api.qa.example.com/webhooks/twilio/recording-status?tenant=acme';

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    deliverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      receiver.close(() => resolve());
      receiver.closeAllConnections();
    });
  });

  it('builds the full recording callback parameter set from a registered recording', () => {
    const startTime = new Date(Date.UTC(2011, 7, 22, 12, 0, 0));
    const rec = twilio.addRecording({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      recordingSid: randomSid('RE'),
      audio: pcmWav({ seconds: 42, channels: 2 }),
      startTime,
    });
    expect(recordingCallbackParams(rec)).toEqual({
      AccountSid: ACCOUNT,
      CallSid: rec.callSid,
      RecordingSid: rec.recordingSid,
      RecordingUrl: rec.recordingUrl,
      RecordingStatus: 'completed',
      RecordingDuration: '42',
      RecordingChannels: '2',
      RecordingStartTime: 'Mon, 22 Aug 2011 12:00:00 +0000',
      RecordingSource: 'DialVerb',
      RecordingTrack: 'both',
      ErrorCode: '0',
    });
    expect(recordingCallbackParams({ ...rec, status: 'absent', errorCode: 16102, durationSeconds: 0 })).toMatchObject({
      RecordingStatus: 'absent',
      ErrorCode: '16102',
      RecordingDuration: '0',
    });
  });

  it('delivers a form-encoded recording callback signed for the public URL, not the delivery URL', async () => {
    const rec = twilio.addRecording({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      recordingSid: randomSid('RE'),
      audio: pcmWav({ seconds: 1 }),
    });
    const params = recordingCallbackParams(rec);
    const deliverTo = `${deliverBase}/webhooks/twilio/recording-status?tenant=acme`;
    received.length = 0;
    const res = await twilio.sendRecordingStatusCallback({ deliverTo, publicUrl, authToken: TOKEN, params });
    expect(res.status).toBe(204);

    expect(received).toHaveLength(1);
    const got = received[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/webhooks/twilio/recording-status?tenant=acme');
    expect(got.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(got.headers['i-twilio-idempotency-token']).toMatch(/^[0-9a-f-]{36}$/);
    const form = paramsFromForm(got.body);
    expect({ ...form }).toEqual(params);

    const signature = got.headers['x-twilio-signature'] as string;
    expect(signature).toBe(await twilioSignature(TOKEN, publicUrl, params));
    expect(await validateTwilioSignature(TOKEN, signature, publicUrl, form)).toBe(true);
    expect(await validateTwilioSignature(TOKEN, signature, deliverTo, form)).toBe(false);
    expect(await validateTwilioSignature('other-token', signature, publicUrl, form)).toBe(false);
  });

  it('keeps + and spaces intact through form encoding', async () => {
    received.length = 0;
    const params = { From: '+14155550100', Note: 'a b&c=d', Plus: '1+1' };
    await twilio.sendRecordingStatusCallback({ deliverTo: `${deliverBase}/x`, publicUrl, authToken: TOKEN, params });
    const form = paramsFromForm(received[0]!.body);
    expect({ ...form }).toEqual(params);
    expect(
      await validateTwilioSignature(TOKEN, received[0]!.headers['x-twilio-signature'] as string, publicUrl, form),
    ).toBe(true);
  });

  it('delivers call status callbacks the same way', async () => {
    received.length = 0;
    const callSid = randomSid('CA');
    const callUrl = 'https://api.qa.example.com/webhooks/twilio/call-status?tenant=acme';
    const timestamp = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
    const base = { accountSid: ACCOUNT, callSid, from: '+14155550100', to: '+18005551212', timestamp };
    const ringing = callStatusCallbackParams({ ...base, status: 'ringing' });
    const completed = callStatusCallbackParams({ ...base, status: 'completed', durationSeconds: 65 });
    expect(ringing).toMatchObject({
      CallStatus: 'ringing',
      SequenceNumber: '1',
      Timestamp: 'Tue, 02 Jan 2024 03:04:05 +0000',
      Direction: 'inbound',
    });
    expect(ringing['CallDuration']).toBeUndefined();
    expect(completed).toMatchObject({
      CallStatus: 'completed',
      CallDuration: '65',
      SequenceNumber: '3',
      Called: '+18005551212',
      Caller: '+14155550100',
    });

    for (const params of [ringing, completed]) {
      const res = await twilio.sendCallStatusCallback({
        deliverTo: `${deliverBase}/call-status`,
        publicUrl: callUrl,
        authToken: TOKEN,
        params,
      });
      expect(res.status).toBe(204);
    }
    expect(received.map((r) => paramsFromForm(r.body)['CallStatus'])).toEqual(['ringing', 'completed']);
    for (const r of received) {
      const form = paramsFromForm(r.body);
      expect(await validateTwilioSignature(TOKEN, r.headers['x-twilio-signature'] as string, callUrl, form)).toBe(true);
    }
  });

  it('replays a retry with the same idempotency token', async () => {
    received.length = 0;
    const o = {
      deliverTo: `${deliverBase}/r`,
      publicUrl,
      authToken: TOKEN,
      params: { A: '1' },
      idempotencyToken: 'retry-1',
    };
    await twilio.sendRecordingStatusCallback(o);
    await twilio.sendRecordingStatusCallback(o);
    expect(received.map((r) => r.headers['i-twilio-idempotency-token'])).toEqual(['retry-1', 'retry-1']);
  });
});
