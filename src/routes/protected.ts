/**
 * The API proper, under /api: every route here needs a verified bearer token, and sees the
 * caller's service context as `c.get('ctx')`.
 */
import { authenticate } from '../auth/middleware';
import { jsonBodies, MAX_COURSE_BODY_BYTES } from '../lib/body-rules';
import { createRouter } from '../lib/create-app';
import { adminRouter } from './admin';
import { aiCoachRouter } from './ai-coach';
import { reportsRouter } from './reports';
import { analyticsRouter } from './analytics';
import { authRouter } from './auth';
import { calibrationRouter } from './calibration';
import { callsRouter, streamsItsBody } from './calls';
import { commandCenterRouter } from './command-center';
import { criteriaRouter } from './criteria';
import { disputesRouter } from './disputes';
import { integrationsRouter } from './integrations';
import { organizationsRouter } from './organizations';
import { reviewsRouter } from './reviews';
import { reportSchedulesRouter } from './reports/schedules';
import { tenantsRouter } from './tenants';
import { usersRouter } from './users';

/** Course writes carry the whole course: its modules, lessons and quizzes. */
const writesACourse = (method: string, path: string) =>
  (method === 'POST' && /^\/api\/ai-coach\/courses\/?$/.test(path)) ||
  (method === 'PUT' && /^\/api\/ai-coach\/courses\/[^/]+\/?$/.test(path))
    ? MAX_COURSE_BODY_BYTES
    : undefined;

export const protectedRoutes = createRouter()
  .use('*', ...jsonBodies(streamsItsBody, writesACourse))
  .use('*', authenticate)
  .route('/auth', authRouter)
  .route('/tenants', tenantsRouter)
  .route('/organizations', organizationsRouter)
  .route('/users', usersRouter)
  .route('/admin', adminRouter)
  .route('/evaluation-criteria', criteriaRouter)
  .route('/calls', callsRouter)
  .route('/integrations', integrationsRouter)
  .route('/command-center', commandCenterRouter)
  .route('/ai-coach', aiCoachRouter)
  .route('/analytics', analyticsRouter)
  // Before any /reports/{report_id} route, which would take `scheduled` for an id.
  .route('/reports/scheduled', reportSchedulesRouter)
  .route('/reports', reportsRouter)
  .route('/', reviewsRouter)
  .route('/', disputesRouter)
  .route('/calibration', calibrationRouter);
