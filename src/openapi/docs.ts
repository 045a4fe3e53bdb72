import type { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import type { AppEnv } from '../context';

/**
 * Where the page loads Scalar's standalone bundle from: a Workers static asset (assets/docs/scalar.js,
 * a link to the installed @scalar/api-reference), so /docs renders on an offline laptop and the
 * page never runs a script from a third-party origin. Passing `cdn` also selects the single-file
 * bundle over the code-split one, which would fetch its chunks from jsDelivr.
 */
export const SCALAR_BUNDLE_PATH = '/docs/scalar.js';

export function mountDocs(app: OpenAPIHono<AppEnv>) {
  app.get(
    '/docs',
    Scalar({
      url: '/openapi.json',
      pageTitle: 'QA Platform API',
      cdn: SCALAR_BUNDLE_PATH,
      // Nothing leaves the page but calls to this API: system fonts instead of fonts.scalar.com,
      // no telemetry, no hosted AI agent, no proxy (the API answers CORS for its own origins).
      withDefaultFonts: false,
      telemetry: false,
      agent: { disabled: true },
      proxyUrl: '',
    }),
  );
}
