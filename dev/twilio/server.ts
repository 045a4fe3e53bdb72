/**
 * A local stand-in for the part of Twilio the platform touches: the recording media host
 * (api.twilio.com) and the status callbacks Twilio posts to tenants' webhook URLs. For development and
 * tests; not a product component.
 */
import { closeServer, listenOn, urlHost } from '../shared/http.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendCallStatusCallback, sendRecordingStatusCallback, type CallbackDelivery } from './callbacks.ts';
import { methodNotAllowedError, notFoundError, twilioError } from './errors.ts';
import { matchRecordingPath, serveRecording, type Reply } from './media.ts';
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

const JSON_TYPE = 'application/json';

function write(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  let payload: Uint8Array | string = '';
  if (reply.body instanceof Uint8Array) payload = reply.body;
  else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['Content-Type'] = JSON_TYPE;
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  // node:http leaves the body out of HEAD answers by itself; the headers stay those of the GET.
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/**
 * Test-only: `GET /redirect?to=<url>` answers 302 to any http(s) URL, so the API's refusal to follow a
 * recording download to another host can be exercised. Twilio has no such endpoint.
 */
function redirect(url: URL): Reply {
  const to = url.searchParams.get('to');
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
  const host = opts.host ?? '127.0.0.1';
  const requireAuth = opts.requireAuth ?? true;
  const counters = { mediaRequests: 0, unauthorized: 0 };
  let url = '';
  const store = new RecordingStore(() => url);

  function route(req: IncomingMessage): Reply {
    const method = req.method ?? 'GET';
    const reqUrl = new URL(req.url ?? '/', 'http://stand-in');
    const readOnly = method === 'GET' || method === 'HEAD';
    // Not counted: a benchmark polling the counters must not change them. Not a Twilio endpoint.
    if (reqUrl.pathname === '/__stats' && method === 'GET') {
      return { status: 200, body: counters };
    }
    if (reqUrl.pathname === '/redirect' && readOnly) return redirect(reqUrl);
    const media = matchRecordingPath(reqUrl.pathname);
    if (!media) return { status: 404, body: notFoundError(reqUrl.pathname) };
    counters.mediaRequests++;
    if (!readOnly) return { status: 405, headers: { Allow: 'GET, HEAD' }, body: methodNotAllowedError() };
    const reply = serveRecording(
      store,
      { ...media, path: reqUrl.pathname, authorization: req.headers.authorization },
      requireAuth,
    );
    if (reply.status === 401) counters.unauthorized++;
    return reply;
  }

  const server = createServer((req, res) => {
    // No endpoint reads a body; draining it keeps keep-alive connections usable.
    req.resume();
    try {
      write(res, route(req));
    } catch (err) {
      console.error('[twilio] request failed:', err);
      if (res.headersSent) res.destroy();
      else write(res, { status: 500, body: twilioError(500, 20500, 'Internal Server Error') });
    }
  });
  await listenOn(server, opts.port, host);
  url = `http://${urlHost(host)}:${(server.address() as AddressInfo).port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= closeServer(server);
      return closing;
    },
    addRecording: (r) => store.add(r),
    sendRecordingStatusCallback,
    sendCallStatusCallback,
    stats: () => ({ ...counters }),
  };
}
