/**
 * The request shape the product relies on, checked on the source: who may import what. These are
 * the rules a reviewer would otherwise have to remember.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const imports = (file: string) =>
  [...readFileSync(join(ROOT, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!);

const product = sources('src');

describe('the request shape', () => {
  it('reaches the database client only through TenantDb, so no statement runs outside the tenant context', () => {
    const offenders = product.filter(
      (f) => f !== 'src/db/tenant-db.ts' && imports(f).some((i) => /\/db\/client$|^\.\/client$/.test(i)),
    );
    expect(offenders, 'only src/db/tenant-db.ts may import src/db/client').toEqual([]);
  });

  it('keeps services free of HTTP: no Hono, no route code, no Request parameters', () => {
    const services = product.filter((f) => f.startsWith('src/services/'));
    const offenders = services.filter((f) => {
      const text = readFileSync(join(ROOT, f), 'utf8');
      // Response types may come from the route schemas (presenters are typed from the contract),
      // but nothing that runs.
      const runtimeRouteImport = /^import (?!type\b)[^;]*from '[^']*\/routes\//m.test(text);
      return imports(f).some((i) => i.startsWith('hono')) || runtimeRouteImport || /:\s*Request\b/.test(text);
    });
    expect(offenders, 'services take (ctx, input) and return data').toEqual([]);
  });

  it('structured logs: no free-text console call in src/ or durable-objects/; only src/lib/log.ts writes', () => {
    const offenders = [...product, ...sources('durable-objects')].filter(
      (f) => f !== 'src/lib/log.ts' && /\bconsole\.\w+\(/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(offenders, 'log through src/lib/log.ts (ctx.log in services): one JSON object per line').toEqual([]);
  });

  it('never imports the local stand-ins from product code', () => {
    const offenders = product.filter((f) => imports(f).some((i) => i.includes('/dev/')));
    expect(offenders).toEqual([]);
  });

  it('builds a production bundle without the local S3 gateway', () => {
    const out = mkdtempSync(join(tmpdir(), 'qa-bundle-'));
    try {
      execFileSync('wrangler', ['deploy', '--dry-run', '--outdir', out], {
        cwd: ROOT,
        stdio: 'pipe',
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
      });
      const bundle = readFileSync(join(out, 'index.js'), 'utf8');
      expect(bundle.length, 'the bundle was written').toBeGreaterThan(10_000);
      expect(bundle, 'the S3 gateway answers only in dev/local-worker.ts').not.toContain('SignatureDoesNotMatch');
      expect(bundle).toContain('set_tenant_context');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
