/** Accounts and the recordings the stand-in serves, registered by tests or the CLI. */
import { randomSid, isSid } from './sids.ts';
import { parseWav } from './wav.ts';

export interface RecordingRegistration {
  accountSid: string;
  /** the account's auth token: the media password, and the key of the callbacks' signatures */
  authToken: string;
  recordingSid: string;
  /** default: a random CA… */
  callSid?: string | undefined;
  /** WAV bytes, served with no extension and with `.wav` */
  audio: Uint8Array;
  /** default: read from the WAV header, else 0 */
  durationSeconds?: number | undefined;
  /** default: read from the WAV header, else 1 */
  channels?: 1 | 2 | undefined;
  /** Twilio transcodes to MP3 on request; the stand-in cannot, so `.mp3` is a 404 unless bytes are given here. */
  mp3?: Uint8Array | undefined;
  /** default now */
  startTime?: Date | undefined;
  /**
   * Media requests that pass the auth check answer `302 Location: <redirectTo>` instead of the bytes,
   * like a media host handing off to a CDN. For testing the API's redirect rules on a real recording URL.
   */
  redirectTo?: string | undefined;
}

/** What a test needs to build callback params (`recordingCallbackParams` takes this object as is). */
export interface RegisteredRecording {
  accountSid: string;
  callSid: string;
  recordingSid: string;
  /** `${standIn.url}/2010-04-01/Accounts/AC…/Recordings/RE…`, without extension, as Twilio sends it */
  recordingUrl: string;
  durationSeconds: number;
  channels: 1 | 2;
  startTime: Date;
}

export interface StoredRecording extends RegisteredRecording {
  wav: Uint8Array;
  mp3: Uint8Array | undefined;
  redirectTo: string | undefined;
}

export const recordingPath = (accountSid: string, recordingSid: string): string =>
  `/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}`;

export class RecordingStore {
  private readonly tokens = new Map<string, string>();
  private readonly recordings = new Map<string, StoredRecording>();

  /** `baseUrl` is read on each registration: the port is only known once the server listens. */
  constructor(private readonly baseUrl: () => string) {}

  add(r: RecordingRegistration): RegisteredRecording {
    if (!isSid('AC', r.accountSid)) throw new Error(`not an account SID: ${r.accountSid}`);
    if (!isSid('RE', r.recordingSid)) throw new Error(`not a recording SID: ${r.recordingSid}`);
    if (r.callSid !== undefined && !isSid('CA', r.callSid)) throw new Error(`not a call SID: ${r.callSid}`);
    if (!r.authToken) throw new Error('authToken must not be empty');
    // One token per account: a second, different token would silently lock out earlier registrations.
    const known = this.tokens.get(r.accountSid);
    if (known !== undefined && known !== r.authToken) {
      throw new Error(`account ${r.accountSid} is already registered with another auth token`);
    }
    const key = `${r.accountSid}/${r.recordingSid}`;
    if (this.recordings.has(key)) throw new Error(`recording ${r.recordingSid} is already registered`);

    const info = parseWav(r.audio);
    const headerChannels = info?.channels === 1 || info?.channels === 2 ? info.channels : undefined;
    const registered: RegisteredRecording = {
      accountSid: r.accountSid,
      callSid: r.callSid ?? randomSid('CA'),
      recordingSid: r.recordingSid,
      recordingUrl: this.baseUrl() + recordingPath(r.accountSid, r.recordingSid),
      durationSeconds: Math.round(r.durationSeconds ?? info?.durationSeconds ?? 0),
      channels: r.channels ?? headerChannels ?? 1,
      startTime: r.startTime ?? new Date(),
    };
    this.tokens.set(r.accountSid, r.authToken);
    // Copies: a caller reusing its buffer must not change what is served.
    this.recordings.set(key, { ...registered, wav: r.audio.slice(), mp3: r.mp3?.slice(), redirectTo: r.redirectTo });
    return { ...registered };
  }

  authToken(accountSid: string): string | undefined {
    return this.tokens.get(accountSid);
  }

  get(accountSid: string, recordingSid: string): StoredRecording | undefined {
    return this.recordings.get(`${accountSid}/${recordingSid}`);
  }
}
