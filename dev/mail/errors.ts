/** Error bodies in the shape api.resend.com answers with: `{ statusCode, message, name }`. */

export interface ResendErrorBody {
  statusCode: number;
  message: string;
  name: string;
}

export class ResendError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }

  get body(): ResendErrorBody {
    return { statusCode: this.statusCode, message: this.message, name: this.errorName };
  }
}

export const missingApiKey = () =>
  new ResendError(401, 'missing_api_key', 'Missing API key in the authorization header.');
export const invalidApiKey = () => new ResendError(403, 'invalid_api_key', 'API key is invalid.');
export const missingField = (field: string) =>
  new ResendError(422, 'missing_required_field', `Missing \`${field}\` field.`);
export const validationError = (message: string, status = 422) => new ResendError(status, 'validation_error', message);
export const invalidIdempotencyKey = () =>
  new ResendError(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.');
export const idempotentPayloadMismatch = () =>
  new ResendError(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload.');
export const idempotentRequestInProgress = () =>
  new ResendError(
    409,
    'concurrent_idempotent_requests',
    'Same idempotency key used while original request is still in progress.',
  );
export const notFound = () => new ResendError(404, 'not_found', 'The requested endpoint does not exist.');
export const applicationError = (message = 'Internal server error.') =>
  new ResendError(500, 'application_error', message);
