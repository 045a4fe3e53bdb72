/**
 * Everything answered without a bearer token: health, provider webhooks (each verifies its own
 * signature), login and token refresh, and the command-center socket (a one-time ticket).
 */
import { jsonBodies, webhookBodies } from '../lib/body-rules';
import { createRouter } from '../lib/create-app';
import { authPublicRouter } from './auth';
import { commandCenterSocket } from './command-center';
import { healthRouter } from './health';
import { assemblyaiWebhook } from './webhooks/assemblyai';
import { genericWebhook } from './webhooks/generic';
import { twilioWebhook } from './webhooks/twilio';

export const publicRoutes = createRouter()
  .use('/webhooks/*', webhookBodies)
  .use('/api/auth/*', ...jsonBodies())
  .route('/', healthRouter)
  .route('/webhooks/assemblyai', assemblyaiWebhook)
  .route('/webhooks/twilio', twilioWebhook)
  .route('/webhooks/generic', genericWebhook)
  .route('/api/auth', authPublicRouter)
  .route('/api/command-center', commandCenterSocket);
