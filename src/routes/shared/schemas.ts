import { z } from '@hono/zod-openapi';
import { problemResponses } from '../../lib/problem';

export const PaginationQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).openapi({ example: 1 }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
});
export type Pagination = z.infer<typeof PaginationQuery>;

export const PaginationMeta = z
  .object({ page: z.number().int(), limit: z.number().int(), total: z.number().int(), total_pages: z.number().int() })
  .openapi('Pagination');

export function paginated<T extends z.ZodType>(item: T, name: string) {
  return z.object({ data: z.array(item), pagination: PaginationMeta }).openapi(name);
}

export function pageOf<T>(rows: (T & { total?: number })[], p: Pagination, total: number) {
  return {
    data: rows,
    pagination: { page: p.page, limit: p.limit, total, total_pages: Math.ceil(total / p.limit) },
  };
}

export const Uuid = (name: string) =>
  z
    .uuid({ message: 'must be a UUID' })
    .openapi({ param: { name, in: 'path' }, example: '3f0b9a52-7c1e-4d55-9a43-2f8a61c0b7de' });

export const TenantIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/, 'must be 3-40 lowercase letters, digits or dashes, starting with a letter')
  .openapi({ example: 'acme' });

export const bearer = [{ bearerAuth: [] }];

/** JSON body wrapper for createRoute. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export { problemResponses };

/**
 * A named (component) schema or null. `.nullable()` on a named schema makes the component itself
 * nullable in the document, for every use of it; a union keeps `null` at this one place.
 */
export const orNull = <T extends z.ZodType>(schema: T) => z.union([schema, z.null()]);

export const Timestamp = z.string().openapi({ example: '2026-11-23T10:15:00.000Z' });

/**
 * A map whose keys the tenant chooses (settings, branding, features): any JSON value, documented as
 * such, since the platform reads only the keys it knows and keeps the rest for the tenant's clients.
 */
export const TenantJsonMap = (description: string) => z.record(z.string(), z.unknown()).openapi({ description });

/** Free-form JSON object with a size cap, for settings, branding and the like. */
export const JsonObject = z
  .record(z.string().max(100), z.unknown())
  .refine((v) => JSON.stringify(v).length <= 16_384, 'must be at most 16 KB of JSON');

/** An age filter of a list: at least this many hours old, up to a year (`what` says of what). */
export const OlderThanHours = (what: string) =>
  z.coerce
    .number()
    .int('must be a whole number of hours')
    .min(0)
    .max(24 * 366)
    .optional()
    .openapi({ description: `${what} at least this many hours ago` });
