/**
 * The webhook signing helpers: Twilio's published vectors and our recording-callback vector
 * (protocols.md E.2), and the generic `X-QA-Webhook-*` contract. node:crypto is used here only as an
 * independent second implementation; the helpers themselves run on WebCrypto.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  GENERIC_WEBHOOK_TOLERANCE_SECONDS,
  signGenericWebhook,
  verifyGenericWebhook,
} from '../../src/integrations/signatures/generic-signature.ts';
import {
  paramsFromForm,
  twilioSignature,
  twilioSignedString,
  validateTwilioSignature,
} from '../../src/integrations/signatures/twilio-signature.ts';

const twilioDocs = {
  authToken: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  params: {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675309',
    Digits: '1234',
    From: '+14158675309',
    To: '+18005551212',
  },
};

const X = 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';
const recordingVector = {
  authToken: 'test_auth_token_0123456789abcdef',
  url: 'https://api.example.com/webhooks/twilio/recording-status?tenant=acme',
  params: {
    AccountSid: `AC${X}`,
    CallSid: `CA${X}`,
    RecordingSid: `RE${X}`,
    RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/AC${X}/Recordings/RE${X}`,
    RecordingStatus: 'completed',
    RecordingDuration: '42',
    RecordingChannels: '2',
    RecordingStartTime: 'Mon, 22 Aug 2011 12:00:00 +0000',
    RecordingSource: 'DialVerb',
    RecordingTrack: 'both',
    ErrorCode: '0',
  },
};

const nodeHmacSha1 = (key: string, data: string) => createHmac('sha1', key).update(data, 'utf8').digest('base64');

describe('twilioSignature', () => {
  it("reproduces Twilio's published example", async () => {
    const { authToken, url, params } = twilioDocs;
    expect(twilioSignedString(url, params)).toBe(
      'https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212',
    );
    expect(await twilioSignature(authToken, url, params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });

  it('reproduces the older doc variants that circulate', async () => {
    const { authToken, url, params } = twilioDocs;
    const withCaller = (n: string) => ({ ...params, Caller: n, From: n });
    expect(await twilioSignature(authToken, url, withCaller('+14158675310'))).toBe('GvWf1cFY/Q7PnoempGyD5oXAezc=');
    expect(await twilioSignature(authToken, url, withCaller('+12349013030'))).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('reproduces the recording-callback vector, whatever the key order of the params object', async () => {
    const { authToken, url, params } = recordingVector;
    expect(await twilioSignature(authToken, url, params)).toBe('YYmG4zMA0HIMalZ6l/jB8/YsOwE=');
    const reversed = Object.fromEntries(Object.entries(params).reverse());
    expect(await twilioSignature(authToken, url, reversed)).toBe('YYmG4zMA0HIMalZ6l/jB8/YsOwE=');
  });

  it('signs the query string as part of the URL, in its original order', async () => {
    const { authToken, params } = recordingVector;
    const base = 'https://api.example.com/webhooks/twilio/recording-status';
    const signed = await twilioSignature(authToken, `${base}?tenant=acme`, params);
    expect(await twilioSignature(authToken, base, params)).not.toBe(signed);
    expect(await twilioSignature(authToken, `${base}?tenant=globex`, params)).not.toBe(signed);
    expect(await twilioSignature(authToken, `${base}?a=1&b=2`, params)).not.toBe(
      await twilioSignature(authToken, `${base}?b=2&a=1`, params),
    );
    // Query parameters are not mixed into the sorted POST parameters.
    expect(twilioSignedString(`${base}?tenant=acme`, { A: '1' })).toBe(`${base}?tenant=acmeA1`);
  });

  it('normalises the URL like twilio-node: case of scheme and host, default port, bare host', async () => {
    const { authToken, params } = recordingVector;
    const canonical = await twilioSignature(authToken, recordingVector.url, params);
    const variants = [
      'HTTPS://API.Example.COM/webhooks/twilio/recording-status?tenant=acme',
      'https://api.example.com:443/webhooks/twilio/recording-status?tenant=acme',
    ];
    for (const url of variants) expect(await twilioSignature(authToken, url, params)).toBe(canonical);
    expect(twilioSignedString('https://example.com', {})).toBe('https://example.com/');
    // The path is case-sensitive, and a non-default port is kept.
    expect(await twilioSignature(authToken, recordingVector.url.replace('twilio', 'Twilio'), params)).not.toBe(
      canonical,
    );
    expect(twilioSignedString('http://localhost:8787/x', {})).toBe('http://localhost:8787/x');
  });

  it('sorts keys by UTF-16 code units and expands array values (unique, sorted, key+value each)', async () => {
    const url = 'https://example.com/hook?x=1';
    const params = { a: '1', To: '+18005551212', Digits: ['9', '1', '10', '1'] };
    const expected = `${url}Digits1Digits10Digits9To+18005551212a1`;
    expect(twilioSignedString(url, params)).toBe(expected);
    // Recomputed independently (Python's hmac and node:crypto agree).
    expect(await twilioSignature('12345', url, params)).toBe('bbne3OGwbuRwccT6rUxcT7yCHoM=');
    expect(nodeHmacSha1('12345', expected)).toBe('bbne3OGwbuRwccT6rUxcT7yCHoM=');
  });

  it('hashes non-ASCII values as UTF-8', async () => {
    const params = { SpeechResult: 'café – ok', From: '+4930123' };
    const url = 'https://example.com/hook';
    expect(await twilioSignature('tok', url, params)).toBe(nodeHmacSha1('tok', twilioSignedString(url, params)));
  });

  it('refuses an empty auth token instead of signing with it', async () => {
    await expect(twilioSignature('', twilioDocs.url, twilioDocs.params)).rejects.toThrow(TypeError);
  });
});

describe('validateTwilioSignature', () => {
  const { authToken, url, params } = recordingVector;

  it('accepts the right signature and rejects tampering, another token, another URL or no header', async () => {
    const sig = 'YYmG4zMA0HIMalZ6l/jB8/YsOwE=';
    expect(await validateTwilioSignature(authToken, sig, url, params)).toBe(true);
    expect(await validateTwilioSignature(authToken, sig, url, { ...params, RecordingDuration: '43' })).toBe(false);
    expect(await validateTwilioSignature(authToken, sig, url, { ...params, Extra: '' })).toBe(false);
    expect(await validateTwilioSignature('another-token', sig, url, params)).toBe(false);
    expect(
      await validateTwilioSignature(
        authToken,
        sig,
        'http://localhost:8787/webhooks/twilio/recording-status?tenant=acme',
        params,
      ),
    ).toBe(false);
    expect(await validateTwilioSignature(authToken, undefined, url, params)).toBe(false);
    expect(await validateTwilioSignature(authToken, '', url, params)).toBe(false);
  });

  it('accepts a signature over the URL with or without its port, as twilio-node does', async () => {
    const withPort = 'https://api.example.com:8443/hook?t=1';
    const sig = await twilioSignature(authToken, 'https://api.example.com/hook?t=1', params);
    expect(await validateTwilioSignature(authToken, sig, withPort, params)).toBe(true);
    const sigWithPort = await twilioSignature(authToken, withPort, params);
    expect(await validateTwilioSignature(authToken, sigWithPort, withPort, params)).toBe(true);
    expect(await validateTwilioSignature(authToken, sigWithPort, 'https://api.example.com/hook?t=1', params)).toBe(
      false,
    );
  });
});

describe('paramsFromForm', () => {
  it('decodes + and %2B and keeps every value of a repeated key', () => {
    const params = paramsFromForm('To=%2B18005551212&Body=hello+world&Media=b&Media=a&Empty=');
    expect({ ...params }).toEqual({ To: '+18005551212', Body: 'hello world', Media: ['b', 'a'], Empty: '' });
  });

  it('keeps a __proto__ key as a plain parameter', () => {
    const params = paramsFromForm('__proto__=x&a=1');
    expect(Object.keys(params).sort()).toEqual(['__proto__', 'a']);
    expect(params['__proto__']).toBe('x');
  });

  it('round-trips a signed form body', async () => {
    const body = new URLSearchParams(recordingVector.params).toString();
    const sig = await twilioSignature(recordingVector.authToken, recordingVector.url, recordingVector.params);
    expect(
      await validateTwilioSignature(recordingVector.authToken, sig, recordingVector.url, paramsFromForm(body)),
    ).toBe(true);
  });
});

describe('generic webhook signature', () => {
  const secret = 'qa-webhook-secret';
  const body = '{"event":"call.completed","call_id":"c_1"}';
  const timestamp = 1_700_000_000;

  it('has the documented headers and signature format', async () => {
    const signed = await signGenericWebhook(secret, body, { timestamp, id: 'evt_1' });
    expect(signed.body).toBe(body);
    expect(signed.headers).toEqual({
      'Content-Type': 'application/json',
      'X-QA-Webhook-Id': 'evt_1',
      'X-QA-Webhook-Timestamp': '1700000000',
      // hex HMAC-SHA256(secret, "<id>.<timestamp>.<body>"), recomputed with Python's hmac
      'X-QA-Webhook-Signature': 'v2=953d8214ab55f3aa96b884f97e7604dce6ad08856ca8cb4e73f20e323782c818',
    });
    const independent = createHmac('sha256', secret).update(`evt_1.${timestamp}.${body}`).digest('hex');
    expect(signed.headers['X-QA-Webhook-Signature']).toBe(`v2=${independent}`);
  });

  it('defaults to the current time and a fresh event id', async () => {
    const before = Math.floor(Date.now() / 1000);
    const a = await signGenericWebhook(secret, body);
    const b = await signGenericWebhook(secret, body);
    const ts = Number(a.headers['X-QA-Webhook-Timestamp']);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(a.headers['X-QA-Webhook-Id']).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(a.headers['X-QA-Webhook-Id']).not.toBe(b.headers['X-QA-Webhook-Id']);
  });

  it('refuses bad inputs', async () => {
    await expect(signGenericWebhook('', body)).rejects.toThrow(TypeError);
    await expect(signGenericWebhook(secret, body, { timestamp: 1.5 })).rejects.toThrow(TypeError);
    await expect(signGenericWebhook(secret, body, { id: 'has space' })).rejects.toThrow(TypeError);
    await expect(signGenericWebhook(secret, body, { id: 'x\r\nInjected: 1' })).rejects.toThrow(TypeError);
  });

  it('verifies a round trip, from a plain object or a Headers, over a string or the raw bytes', async () => {
    const signed = await signGenericWebhook(secret, body, { timestamp, id: 'evt_2' });
    const ok = { ok: true, id: 'evt_2', timestamp };
    expect(await verifyGenericWebhook(secret, signed.headers, signed.body, { now: timestamp })).toEqual(ok);
    const lowerCased = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(await verifyGenericWebhook(secret, lowerCased, body, { now: timestamp + 10 })).toEqual(ok);
    const bytes = new TextEncoder().encode(body);
    expect(await verifyGenericWebhook(secret, new Headers(signed.headers), bytes, { now: timestamp - 10 })).toEqual(ok);
  });

  it('rejects a changed body, another secret, a moved timestamp and missing headers', async () => {
    const signed = await signGenericWebhook(secret, body, { timestamp, id: 'evt_3' });
    const now = { now: timestamp };
    const bad = { ok: false, reason: 'bad_signature' };
    expect(await verifyGenericWebhook(secret, signed.headers, body.replace('c_1', 'c_2'), now)).toEqual(bad);
    expect(await verifyGenericWebhook(secret, signed.headers, `${body} `, now)).toEqual(bad);
    expect(await verifyGenericWebhook('other-secret', signed.headers, body, now)).toEqual(bad);
    const moved = { ...signed.headers, 'X-QA-Webhook-Timestamp': String(timestamp + 1) };
    expect(await verifyGenericWebhook(secret, moved, body, now)).toEqual(bad);
    const { 'X-QA-Webhook-Signature': _, ...unsigned } = signed.headers;
    expect(await verifyGenericWebhook(secret, unsigned, body, now)).toEqual({ ok: false, reason: 'missing_header' });
    const garbled = { ...signed.headers, 'X-QA-Webhook-Timestamp': '17e8' };
    expect(await verifyGenericWebhook(secret, garbled, body, now)).toEqual({ ok: false, reason: 'malformed_header' });
  });

  it('generic webhook replay: the event id is signed, so the same delivery under a new id fails', async () => {
    const signed = await signGenericWebhook(secret, body, { timestamp, id: 'evt_5' });
    const renamed = { ...signed.headers, 'X-QA-Webhook-Id': 'evt_6' };
    expect(await verifyGenericWebhook(secret, renamed, body, { now: timestamp })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('generic webhook replay: only the canonical signature form is accepted', async () => {
    const signed = await signGenericWebhook(secret, body, { timestamp, id: 'evt_7' });
    const signature = signed.headers['X-QA-Webhook-Signature']!;
    const [version, hex] = signature.split('=') as [string, string];
    const now = { now: timestamp };
    for (const respelled of [
      `${version}=${hex.toUpperCase()}`,
      `${version.toUpperCase()}=${hex}`,
      `${signature} ${signature}`,
      `${signature}  ${version}=${'0'.repeat(64)}`,
      `${signature} v9=abc`,
      `v1=${hex}`,
      `${signature} ${signature} ${signature} ${signature}`,
      `${signature},`,
      ` ${signature}`,
      `${version}=${hex}00`,
    ]) {
      expect(
        await verifyGenericWebhook(secret, { ...signed.headers, 'X-QA-Webhook-Signature': respelled }, body, now),
        `"${respelled}" is not the canonical form`,
      ).toEqual({ ok: false, reason: 'malformed_header' });
    }
  });

  it(`rejects timestamps more than ${GENERIC_WEBHOOK_TOLERANCE_SECONDS} s away, in either direction`, async () => {
    const signed = await signGenericWebhook(secret, body, { timestamp });
    const stale = { ok: false, reason: 'stale' };
    const tolerance = GENERIC_WEBHOOK_TOLERANCE_SECONDS;
    expect((await verifyGenericWebhook(secret, signed.headers, body, { now: timestamp + tolerance })).ok).toBe(true);
    expect(await verifyGenericWebhook(secret, signed.headers, body, { now: timestamp + tolerance + 1 })).toEqual(stale);
    expect(await verifyGenericWebhook(secret, signed.headers, body, { now: timestamp - tolerance - 1 })).toEqual(stale);
  });

  it('accepts any matching entry, for secret rotation on either side', async () => {
    const oldSig = (await signGenericWebhook('old-secret', body, { timestamp, id: 'evt_4' })).headers[
      'X-QA-Webhook-Signature'
    ];
    const signed = await signGenericWebhook('new-secret', body, { timestamp, id: 'evt_4' });
    const both = {
      ...signed.headers,
      'X-QA-Webhook-Signature': `${oldSig} ${signed.headers['X-QA-Webhook-Signature']}`,
    };
    const now = { now: timestamp };
    expect((await verifyGenericWebhook('new-secret', both, body, now)).ok).toBe(true);
    expect((await verifyGenericWebhook('old-secret', both, body, now)).ok).toBe(true);
    expect((await verifyGenericWebhook(['retired', 'new-secret'], signed.headers, body, now)).ok).toBe(true);
    expect((await verifyGenericWebhook('third-secret', both, body, now)).ok).toBe(false);
  });
});
