/** An error that carries the exact HTTP answer Keycloak would give, so handlers can simply throw it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown> | undefined,
    readonly headers: Record<string, string> = {},
  ) {
    super(body ? JSON.stringify(body) : `HTTP ${status}`);
  }

  toResponse(): Response {
    const headers = new Headers(this.headers);
    if (this.body === undefined) return new Response(null, { status: this.status, headers });
    headers.set('content-type', 'application/json');
    return new Response(JSON.stringify(this.body), { status: this.status, headers });
  }
}

/** OAuth 2.0 error body (`error`, `error_description`) used by the protocol endpoints. */
export function oauthError(status: number, error: string, description?: string): HttpError {
  return new HttpError(status, description === undefined ? { error } : { error, error_description: description });
}

/** Keycloak's admin API answers JAX-RS errors as `{"error": …}` … */
export function adminError(status: number, message: string): HttpError {
  return new HttpError(status, { error: message });
}

/** … and model/validation errors as `{"errorMessage": …}`. */
export function adminErrorMessage(status: number, message: string, extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(status, { ...extra, errorMessage: message });
}
