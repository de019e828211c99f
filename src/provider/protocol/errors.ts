// OAuth errors as values. Protocol code throws (or returns) an OAuthError; the HTTP layer turns it
// into the RFC's shape: a JSON body at the token endpoint (RFC 6749 §5.2), a redirect at the
// authorization endpoint (§4.1.2.1), a WWW-Authenticate challenge at a resource (RFC 6750 §3).

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'unsupported_token_type'
  // OpenID Connect Core §3.1.2.6: prompt=none could not be answered without a page.
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  // OpenID Connect Core §6.
  | 'request_not_supported'
  | 'request_uri_not_supported'
  // RFC 8707 §2: a resource that is not one the provider issues tokens for.
  | 'invalid_target'
  // RFC 7591 §3.2.2: a registration refused for its redirect URIs, or for other metadata.
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata';

const statusOf: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 403,
  unsupported_response_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  invalid_token: 401,
  insufficient_scope: 403,
  unsupported_token_type: 400,
  login_required: 400,
  consent_required: 400,
  interaction_required: 400,
  request_not_supported: 400,
  request_uri_not_supported: 400,
  invalid_target: 400,
  invalid_redirect_uri: 400,
  invalid_client_metadata: 400,
};

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly description: string;
  readonly status: number;
  /** Extra response headers, e.g. Retry-After when a login is refused for a while. */
  readonly headers: Record<string, string>;

  constructor(code: OAuthErrorCode, description: string, options: { status?: number; headers?: Record<string, string> } = {}) {
    super(`${code}: ${description}`);
    this.name = 'OAuthError';
    this.code = code;
    this.description = asciiDescription(description);
    this.status = options.status ?? statusOf[code];
    this.headers = options.headers ?? {};
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

/**
 * RFC 6749 §4.1.2.1 and §5.2 allow error_description only printable ASCII without `"` and `\`:
 * descriptions quote names with `'` instead, and anything else (a client's input echoed back) is
 * made to fit. Pages for people translate by error code; this text is for developers.
 */
export function asciiDescription(text: string): string {
  return text.replace(/"/g, "'").replace(/\\/g, '/').replace(/[^\x20-\x7e]/g, '?');
}

export const invalidRequest = (description: string) => new OAuthError('invalid_request', description);
export const invalidClient = (description = 'client authentication failed') => new OAuthError('invalid_client', description);
export const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);
export const invalidScope = (description: string) => new OAuthError('invalid_scope', description);
export const unauthorizedClient = (description: string) => new OAuthError('unauthorized_client', description);
export const invalidToken = (description: string) => new OAuthError('invalid_token', description);
export const invalidTarget = (description: string) => new OAuthError('invalid_target', description);
export const insufficientScope = (description: string) => new OAuthError('insufficient_scope', description);

export function isOAuthError(error: unknown): error is OAuthError {
  return error instanceof OAuthError;
}
