/**
 * The Worker as `npm run dev` and the tests run it: the product's entry, plus the local S3
 * gateway that answers presigned R2 URLs (wrangler simulates the R2 binding but has no S3 API).
 * Production deploys src/index.ts, which knows nothing of this.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../src/context';
import product from '../src/index';
import { r2Gateway } from './r2/gateway';

export { TenantHub } from '../src/index';

const local = new Hono<AppEnv>()
  .route('/__r2', r2Gateway)
  .all('*', (c) => product.fetch(c.req.raw, c.env, c.executionCtx));

export default { ...product, fetch: local.fetch } satisfies typeof product;
