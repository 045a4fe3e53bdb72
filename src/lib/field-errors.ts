import type { ZodError } from 'zod';
import type { FieldError } from './errors';

/** Field-level messages from a zod failure: `{ field: "admin.email", message: "..." }`. */
export function fieldErrors(error: ZodError, target?: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return { field: [...path, ...issue.keys].join('.') || (target ?? 'body'), message: 'is not an accepted field' };
    }
    return { field: path.join('.') || (target ?? 'body'), message: issue.message };
  });
}
