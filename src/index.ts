import { buildApp } from './app';
import type { Bindings } from './env';

const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Bindings>;
