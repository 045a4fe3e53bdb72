import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context';
import { mountDocs } from './docs';
import { mountOpenApiDocument } from './document';

/** /openapi.json, generated from the route definitions, and the /docs page that renders it. */
export function mountOpenApi(app: OpenAPIHono<AppEnv>) {
  mountOpenApiDocument(app);
  mountDocs(app);
}
