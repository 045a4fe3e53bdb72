/**
 * A local stand-in for the part of Twilio the platform touches: the recording media host
 * (api.twilio.com) and the status callbacks Twilio posts to tenants' webhook URLs. For development and
 * tests; not a product component.
 */
import { type Context, Hono } from 'hono';
import { serveStandIn } from '../shared/serve.ts';
import { sendCallStatusCallback, sendRecordingStatusCallback, type CallbackDelivery } from './callbacks.ts';
import { methodNotAllowedError, notFoundError, twilioError } from './errors.ts';
import { matchRecordingFile, RECORDING_ROUTE, serveRecording, type Reply } from './media.ts';
import { RecordingStore, type RecordingRegistration, type RegisteredRecording } from './store.ts';

export interface TwilioStandIn {
  /** e.g. http://127.0.0.1:8083; plays the role of https://api.twilio.com */
  url: string;
  close(): Promise<void>;
  /** registers a recording the stand-in will serve under `recordingUrl` (no extension, as Twilio sends it) */
  addRecording(r: RecordingRegistration): RegisteredRecording;
  /** POSTs a recording status callback to `deliverTo`, form-encoded and signed for `publicUrl`, as Twilio does */
  sendRecordingStatusCallback(o: CallbackDelivery): Promise<Response>;
  /** the same for call status callbacks */
  sendCallStatusCallback(o: CallbackDelivery): Promise<Response>;
  /** requests to recording URLs whatever their answer, and how many of them got a 401 */
  stats(): { mediaRequests: number; unauthorized: number };
}

export interface StartTwilioOptions {
  /** 0 picks a free port */
  port: number;
  /** default 127.0.0.1 */
  host?: string | undefined;
  /** default true: media needs HTTP Basic AccountSid:AuthToken, as with "enforce HTTP auth on media URLs" */
  requireAuth?: boolean | undefined;
}

/**
 * Content-Length is set here, not left to the server: Hono answers HEAD with the GET's headers and no
 * body, and a HEAD answer must still say how large the recording is.
 */
function send(reply: Reply): Response {
  const headers: Record<string, string> = { ...reply.headers };
  let payload: Uint8Array<ArrayBuffer> | string = '';
  if (reply.body instanceof Uint8Array) payload = reply.body as Uint8Array<ArrayBuffer>;
  else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json';
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  return new Response(reply.body === undefined ? null : payload, { status: reply.status, headers });
}

/** The path as requested, for Twilio's not-found message. */
const requestedPath = (c: Context) => new URL(c.req.url).pathname;

/**
 * Test-only: `GET /redirect?to=<url>` answers 302 to any http(s) URL, so the API's refusal to follow a
 * recording download to another host can be exercised. Twilio has no such endpoint.
 */
function redirect(to: string | undefined): Reply {
  let target: URL | undefined;
  try {
    target = to ? new URL(to) : undefined;
  } catch {
    target = undefined;
  }
  if (!target || (target.protocol !== 'http:' && target.protocol !== 'https:')) {
    return { status: 400, body: { message: 'to must be an absolute http(s) URL' } };
  }
  return { status: 302, headers: { Location: target.toString() } };
}

export async function startTwilio(opts: StartTwilioOptions): Promise<TwilioStandIn> {
  const requireAuth = opts.requireAuth ?? true;
  const counters = { mediaRequests: 0, unauthorized: 0 };
  let url = '';
  const store = new RecordingStore(() => url);

  const app = new Hono();
  // Not counted: a benchmark polling the counters must not change them. Not a Twilio endpoint.
  app.get('/__stats', (c) => send({ status: 200, body: counters }));
  app.get('/redirect', (c) => send(redirect(c.req.query('to'))));
  app.all(RECORDING_ROUTE, (c) => {
    const media = matchRecordingFile(c.req.param('accountSid'), c.req.param('file'));
    if (!media) return send({ status: 404, body: notFoundError(requestedPath(c)) });
    counters.mediaRequests++;
    // Hono routes HEAD to GET handlers, so this sees HEAD too.
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      return send({ status: 405, headers: { Allow: 'GET, HEAD' }, body: methodNotAllowedError() });
    }
    const authorization = c.req.header('authorization');
    const reply = serveRecording(store, { ...media, path: requestedPath(c), authorization }, requireAuth);
    if (reply.status === 401) counters.unauthorized++;
    return send(reply);
  });
  app.notFound((c) => send({ status: 404, body: notFoundError(requestedPath(c)) }));
  app.onError((err, c) => {
    console.error('[twilio] request failed:', err);
    return send({ status: 500, body: twilioError(500, 20500, 'Internal Server Error') });
  });

  const running = await serveStandIn(app, opts.port, opts.host);
  url = running.origin;

  return {
    url,
    close: running.close,
    addRecording: (r) => store.add(r),
    sendRecordingStatusCallback,
    sendCallStatusCallback,
    stats: () => ({ ...counters }),
  };
}
