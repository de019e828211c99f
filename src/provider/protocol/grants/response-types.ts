// Response types (RFC 6749 §3.1.1, OAuth 2.0 Multiple Response Type Encoding Practices §5) are
// space-separated sets: "id_token token" and "token id_token" are the same one.

/** The set in one canonical spelling: its values sorted, each once. */
export function normalizeResponseType(responseType: string): string {
  return [...new Set(responseType.split(' ').filter(Boolean))].sort().join(' ');
}

/** Whether the authorization endpoint answers this response type with an ID token. */
export function returnsIdToken(responseType: string): boolean {
  return responseType.split(' ').includes('id_token');
}

/** Whether it answers with an access token. */
export function returnsAccessToken(responseType: string): boolean {
  return responseType.split(' ').includes('token');
}
