/**
 * Runs the mail stand-in on its own: `npx tsx dev/mail/main.ts`.
 * Environment: PORT (8084), HOST (127.0.0.1), MAIL_OUTBOX (./.data/mail), EMAIL_API_KEY (the
 * development key of dev/dev-secrets.ts).
 */
import { fileURLToPath } from 'node:url';
import { DEV_SECRETS } from '../dev-secrets.ts';
import { messageLogLine, startMail } from './server.ts';

const env = process.env;
const outbox = env['MAIL_OUTBOX'] ?? fileURLToPath(new URL('../../.data/mail', import.meta.url));
const standIn = await startMail({
  port: Number(env['PORT'] ?? 8084),
  host: env['HOST'] ?? '127.0.0.1',
  apiKey: env['EMAIL_API_KEY'] ?? DEV_SECRETS.EMAIL_API_KEY,
  outbox,
  onMessage: (m) => console.log(messageLogLine(m)),
});
console.log(`[mail] listening on ${standIn.url}; messages are written to ${standIn.outbox}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void standIn.close().then(() => process.exit(0)));
}
