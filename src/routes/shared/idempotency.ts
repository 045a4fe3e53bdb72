import { z } from '@hono/zod-openapi';
import { Invalid } from '../../lib/errors';

/** The header as documented; the value is checked by `idempotencyKeyOf`, which names the header in a 422. */
export const IdempotencyKeyHeader = z.object({
  'idempotency-key': z.string().max(255).optional().openapi({
    description: 'Retries with the same key and the same request get the first answer (kept 24 hours)',
  }),
});

export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(header))
    throw new Invalid('Idempotency-Key must be 1-255 visible ASCII characters.', [
      { field: 'Idempotency-Key', message: 'is malformed' },
    ]);
  return header;
}
