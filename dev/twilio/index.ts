/**
 * The Twilio stand-in: recording media behind Basic auth, and signed status callbacks. `server.ts` needs
 * Node; `callback-params.ts`, `callbacks.ts`, `sids.ts` and `wav.ts` do not, so workerd tests import
 * those modules directly rather than this index.
 */
export { startTwilio, type StartTwilioOptions, type TwilioStandIn } from './server.ts';
export type { RecordingRegistration, RegisteredRecording } from './store.ts';
export {
  callStatusCallbackParams,
  recordingCallbackParams,
  rfc2822,
  type CallStatus,
  type CallStatusCallbackInput,
  type RecordingCallbackInput,
  type RecordingSource,
  type RecordingStatus,
} from './callback-params.ts';
export {
  sendCallStatusCallback,
  sendRecordingStatusCallback,
  sendTwilioCallback,
  type CallbackDelivery,
} from './callbacks.ts';
export { DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN } from './demo.ts';
export { isSid, randomSid, type SidPrefix } from './sids.ts';
export { parseWav, pcmWav, type WavInfo } from './wav.ts';
