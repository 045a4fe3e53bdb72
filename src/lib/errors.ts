/**
 * The closed set of failures services may report. They know nothing of HTTP; `onError` maps
 * each to a status and a problem+json body (src/lib/problem.ts).
 */
export type FieldError = { field: string; message: string };

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  constructor(
    message: string,
    /** `extensions`: members added to the problem body beside the standard ones (RFC 9457 §3.2). */
    readonly detail?: { errors?: FieldError[]; extensions?: Record<string, unknown> },
  ) {
    super(message);
  }
}

export type DomainErrorCode =
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'gone'
  | 'conflict'
  | 'invalid'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'too-many-requests'
  | 'unavailable'
  | 'storage-quota-exceeded'
  | 'user-limit-reached'
  | 'idempotency-key-reused';

export class Unauthenticated extends DomainError {
  readonly code = 'unauthenticated';
  constructor(message = 'A valid bearer token is required.') {
    super(message);
  }
}
export class Forbidden extends DomainError {
  readonly code = 'forbidden';
  constructor(message = 'You do not have permission to do this.') {
    super(message);
  }
}
/** The tenant is suspended: nothing is taken in or spent on its behalf until it is reactivated. */
export class TenantSuspended extends Forbidden {
  constructor() {
    super('This tenant is suspended.');
  }
}
export class NotFound extends DomainError {
  readonly code = 'not-found';
  constructor(what: string) {
    super(`${what} was not found.`);
  }
}
export class Conflict extends DomainError {
  readonly code = 'conflict';
}
/** The resource existed and is gone for good (an expired report's file). */
export class Gone extends DomainError {
  readonly code = 'gone';
}
export class Invalid extends DomainError {
  readonly code = 'invalid';
  constructor(message: string, errors?: FieldError[]) {
    super(message, { errors });
  }
}
export class PayloadTooLarge extends DomainError {
  readonly code = 'payload-too-large';
}
export class UnsupportedMediaType extends DomainError {
  readonly code = 'unsupported-media-type';
}
/** A quota or rate limit is used up (calls per day, login attempts); `retryAfter` in seconds. */
export class TooManyRequests extends DomainError {
  readonly code = 'too-many-requests';
  constructor(
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}
/** The tenant's stored audio (pending direct uploads included) would pass its tier's `max_storage_gb`. */
export class StorageQuotaExceeded extends DomainError {
  readonly code = 'storage-quota-exceeded';
}
/** The tenant has as many active users as its tier's `max_users`. */
export class UserLimitReached extends DomainError {
  readonly code = 'user-limit-reached';
}
/** An Idempotency-Key the caller already used for a different request (Stripe's rule). */
export class IdempotencyKeyReused extends DomainError {
  readonly code = 'idempotency-key-reused';
}
/** A dependency (database, identity provider) failed; the caller may retry. */
export class Unavailable extends DomainError {
  readonly code = 'unavailable';
}
