/**
 * `GET /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}[.wav|.mp3]`: the recording media,
 * behind HTTP Basic `AccountSid:AuthToken` when the account enforces auth on media URLs.
 */
import { constantTimeEqual } from '../../src/integrations/signatures/hmac.ts';
import { authenticateError, notFoundError } from './errors.ts';
import type { RecordingStore } from './store.ts';

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** bytes as they are; anything else is sent as JSON */
  body?: Uint8Array | object;
}

/** Hono route of the media URL; `file` is the recording SID with an optional extension. */
export const RECORDING_ROUTE = '/2010-04-01/Accounts/:accountSid/Recordings/:file';
const RECORDING_FILE = /^([^/.]+)(\.[^/]*)?$/;

export interface MediaRequest {
  accountSid: string;
  recordingSid: string;
  /** '' for none, else with the dot */
  extension: string;
}

export function matchRecordingFile(accountSid: string, file: string): MediaRequest | undefined {
  const m = RECORDING_FILE.exec(file);
  if (!m?.[1]) return undefined;
  return { accountSid, recordingSid: m[1], extension: m[2] ?? '' };
}

function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Only the account in the path with its own token gets in. An unknown account can never authenticate, so
 * it answers 401 rather than 404 and does not reveal which accounts exist.
 */
function authorized(store: RecordingStore, accountSid: string, header: string | undefined): boolean {
  const creds = basicCredentials(header);
  const token = store.authToken(accountSid);
  if (!creds || token === undefined) return false;
  return creds.user === accountSid && constantTimeEqual(creds.password, token);
}

export function serveRecording(
  store: RecordingStore,
  req: MediaRequest & { path: string; authorization: string | undefined },
  requireAuth: boolean,
): Reply {
  if (requireAuth && !authorized(store, req.accountSid, req.authorization)) {
    return { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="Twilio API"' }, body: authenticateError() };
  }
  const recording = store.get(req.accountSid, req.recordingSid);
  // No extension is WAV, as on api.twilio.com. MP3 only when one was registered: the stand-in cannot
  // transcode, and WAV bytes labelled audio/mpeg would hide format bugs in the API.
  const media =
    req.extension === '' || req.extension === '.wav'
      ? { bytes: recording?.wav, type: 'audio/x-wav' }
      : req.extension === '.mp3'
        ? { bytes: recording?.mp3, type: 'audio/mpeg' }
        : undefined;
  if (!recording || !media?.bytes) return { status: 404, body: notFoundError(req.path) };
  if (recording.redirectTo) return { status: 302, headers: { Location: recording.redirectTo } };
  return { status: 200, headers: { 'Content-Type': media.type }, body: media.bytes };
}
