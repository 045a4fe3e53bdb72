/** OpenAI's error envelope, `{"error":{"message","type","param","code"}}`, which the SDK turns into its APIError classes. */
export class OpenAIError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  body() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const invalidRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new OpenAIError(400, message, 'invalid_request_error', param, code);

export const serverError = (message = 'The server had an error while processing your request. Sorry about that!') =>
  new OpenAIError(500, message, 'server_error');

export const rateLimited = (model: string) =>
  new OpenAIError(
    429,
    `Rate limit reached for ${model} in organization org-local on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.`,
    'requests',
    null,
    'rate_limit_exceeded',
  );

/** Both of OpenAI's 401s: no key at all, and a wrong one (shown masked, as OpenAI does). */
export function authError(presented: string | undefined): OpenAIError {
  if (!presented) {
    return new OpenAIError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
    );
  }
  const masked =
    presented.length > 8
      ? `${presented.slice(0, 3)}${'*'.repeat(8)}${presented.slice(-4)}`
      : '*'.repeat(presented.length);
  return new OpenAIError(
    401,
    `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    'invalid_request_error',
    null,
    'invalid_api_key',
  );
}
