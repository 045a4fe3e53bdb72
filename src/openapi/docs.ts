import type { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import type { AppEnv } from '../context';

export function mountDocs(app: OpenAPIHono<AppEnv>) {
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'QA Platform API' }));
}
