/**
 * The form parameters Twilio posts to status callbacks, built in one place so tests and the dev
 * walkthrough never hand-write them. No Node imports: workerd tests can build and sign the same sets.
 */

export type RecordingStatus = 'in-progress' | 'completed' | 'absent' | 'failed';
export type RecordingSource =
  | 'DialVerb'
  | 'Conference'
  | 'OutboundAPI'
  | 'Trunking'
  | 'RecordVerb'
  | 'StartCallRecordingAPI'
  | 'StartConferenceRecordingAPI';

export interface RecordingCallbackInput {
  accountSid: string;
  callSid: string;
  recordingSid: string;
  /** as Twilio sends it, without an extension */
  recordingUrl: string;
  /** default `completed` */
  status?: RecordingStatus | undefined;
  /** default 0 */
  durationSeconds?: number | undefined;
  /** default 1 */
  channels?: 1 | 2 | undefined;
  /** default now */
  startTime?: Date | undefined;
  /** default `DialVerb` */
  source?: RecordingSource | undefined;
  /** default `both` */
  track?: 'inbound' | 'outbound' | 'both' | undefined;
  /** default 0; with `absent`, e.g. 16101 (too short) or 16102 (silent) */
  errorCode?: string | number | undefined;
  /** sent only for conference recordings */
  conferenceSid?: string | undefined;
}

/** RFC 2822 in UTC, the form Twilio uses for RecordingStartTime and Timestamp: `Mon, 22 Aug 2011 12:00:00 +0000`. */
export function rfc2822(date: Date): string {
  // toUTCString's layout is fixed by ECMAScript ("Www, DD Mmm YYYY HH:MM:SS GMT"); only the zone differs.
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * The full recording status callback. Twilio signs every posted parameter, so a verifier must hash all of
 * them; building the complete set here keeps tests honest about that.
 */
export function recordingCallbackParams(r: RecordingCallbackInput): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: r.accountSid,
    CallSid: r.callSid,
    RecordingSid: r.recordingSid,
    RecordingUrl: r.recordingUrl,
    RecordingStatus: r.status ?? 'completed',
    RecordingDuration: String(Math.round(r.durationSeconds ?? 0)),
    RecordingChannels: String(r.channels ?? 1),
    RecordingStartTime: rfc2822(r.startTime ?? new Date()),
    RecordingSource: r.source ?? 'DialVerb',
    RecordingTrack: r.track ?? 'both',
    ErrorCode: String(r.errorCode ?? 0),
  };
  if (r.conferenceSid) params['ConferenceSid'] = r.conferenceSid;
  return params;
}

export type CallStatus =
  'queued' | 'initiated' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'no-answer' | 'canceled' | 'failed';

export interface CallStatusCallbackInput {
  accountSid: string;
  callSid: string;
  status: CallStatus;
  /** E.164, e.g. +14155550100 */
  from: string;
  to: string;
  /** default `inbound` */
  direction?: 'inbound' | 'outbound-api' | 'outbound-dial' | undefined;
  /** default now */
  timestamp?: Date | undefined;
  /** CallDuration in seconds; sent once the call has ended (default 0 then) */
  durationSeconds?: number | undefined;
  /** default: the event's position in initiated → ringing → in-progress → the final status */
  sequenceNumber?: number | undefined;
}

const SEQUENCE: Partial<Record<CallStatus, number>> = { queued: 0, initiated: 0, ringing: 1, 'in-progress': 2 };
const ENDED: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'no-answer', 'canceled', 'failed']);

/** A call progress event (`statusCallbackEvent`), with the parameters Twilio sends for every call. */
export function callStatusCallbackParams(c: CallStatusCallbackInput): Record<string, string> {
  const params: Record<string, string> = {
    AccountSid: c.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: c.callSid,
    CallStatus: c.status,
    Called: c.to,
    Caller: c.from,
    CallbackSource: 'call-progress-events',
    Direction: c.direction ?? 'inbound',
    From: c.from,
    SequenceNumber: String(c.sequenceNumber ?? SEQUENCE[c.status] ?? 3),
    Timestamp: rfc2822(c.timestamp ?? new Date()),
    To: c.to,
  };
  if (ENDED.has(c.status) || c.durationSeconds !== undefined) {
    params['CallDuration'] = String(Math.round(c.durationSeconds ?? 0));
  }
  return params;
}
