/** The mail stand-in: Resend's `POST /emails`, writing each message to a file instead of sending it. */
export { messageLogLine, startMail, type MailStandIn, type StartMailOptions, type StoredMessage } from './server.ts';
export { toEml } from './eml.ts';
export { parseEmailRequest, type EmailRequest } from './send-request.ts';
