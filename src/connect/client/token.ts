import { ConnectError } from './errors.ts';
import { request, optionalString, requireString, type Body } from './http.ts';
import { loadProvider } from './lazy.ts';
import type { LazyProvider, Provider, TokenSet } from './types.ts';

/**
 * The server-side grants take a provider or a lazy one (the grantry and oidc presets), loaded on
 * first use, so that `passwordGrant(grantry({…}), …)` works as `passwordGrant(await grantry({…}), …)`
 * did when that preset was asynchronous.
 */
export type ProviderSource = Provider | LazyProvider;

const now = () => Math.floor(Date.now() / 1000);

/** Weibo sends expires_in as a number and remind_in as a string; accept either, refuse nonsense. */
function parseExpiresIn(body: Body): number | null {
  const value = body.expires_in;
  if (value === undefined || value === null || value === '') return null;
  const seconds = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) throw new ConnectError('invalid_response', 'expires_in is not a number of seconds');
  return seconds;
}

/** Bearer tokens only: a DPoP- or MAC-bound token used as a bearer would fail later and vaguely. */
function parseTokenType(body: Body): string {
  const type = optionalString(body, 'token_type');
  // WeChat and QQ send no token_type; their tokens are used as bearer values in the query.
  if (type === null) return 'Bearer';
  if (type.toLowerCase() !== 'bearer') throw new ConnectError('invalid_response', `unsupported token_type "${type}"`);
  return 'Bearer';
}

export function parseTokenSet(body: Body): TokenSet {
  const expiresIn = parseExpiresIn(body);
  return {
    accessToken: requireString(body, 'access_token', 'the token response'),
    tokenType: parseTokenType(body),
    expiresAt: expiresIn === null ? null : now() + expiresIn,
    refreshToken: optionalString(body, 'refresh_token'),
    idToken: optionalString(body, 'id_token'),
    scope: optionalString(body, 'scope'),
    raw: body,
  };
}

function clientAuthentication(provider: Provider, params: Record<string, string>): { headers: Record<string, string>; params: Record<string, string> } {
  if (provider.tokenAuth === 'client_secret_basic' && provider.clientSecret !== undefined) {
    // RFC 6749 §2.3.1: both halves are form-encoded before being joined.
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    const basic = Buffer.from(`${encode(provider.clientId)}:${encode(provider.clientSecret)}`).toString('base64');
    return { headers: { authorization: `Basic ${basic}` }, params };
  }
  const withId: Record<string, string> = { client_id: provider.clientId, ...params };
  if (provider.tokenAuth === 'client_secret_post' && provider.clientSecret !== undefined) withId.client_secret = provider.clientSecret;
  return { headers: {}, params: withId };
}

/** One request to the token endpoint, whichever grant, answered as a checked token set. */
export async function tokenRequest(source: ProviderSource, params: Record<string, string>): Promise<TokenSet> {
  const provider = await loadProvider(source);
  if (provider.tokenRequest) {
    const custom = provider.tokenRequest(params);
    return parseTokenSet(await request(custom.url, custom));
  }
  const auth = clientAuthentication(provider, params);
  const body = await request(provider.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...provider.tokenHeaders, ...auth.headers },
    body: new URLSearchParams(auth.params),
  });
  return parseTokenSet(body);
}

export function exchangeCode(provider: Provider, input: { code: string; redirectUri: string; codeVerifier: string }): Promise<TokenSet> {
  return tokenRequest(provider, {
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri,
    ...(provider.pkce ? { code_verifier: input.codeVerifier } : {}),
  });
}

/** A provider that rotates refresh tokens sends a new one; one that does not keeps the old one valid. */
export async function refreshTokens(provider: ProviderSource, refreshToken: string, scope?: string): Promise<TokenSet> {
  const tokens = await tokenRequest(provider, { grant_type: 'refresh_token', refresh_token: refreshToken, ...(scope ? { scope } : {}) });
  return { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken };
}

/** The resource-owner password grant: only for a site's own provider, from a server. */
export function passwordGrant(provider: ProviderSource, input: { username: string; password: string; scope?: string }): Promise<TokenSet> {
  return tokenRequest(provider, {
    grant_type: 'password',
    username: input.username,
    password: input.password,
    ...(input.scope ? { scope: input.scope } : {}),
  });
}

export function clientCredentialsGrant(provider: ProviderSource, scope?: string): Promise<TokenSet> {
  return tokenRequest(provider, { grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
}

/** RFC 7009. Revocation of an unknown token succeeds, so only transport and client errors throw. */
export async function revokeToken(source: ProviderSource, token: string, hint?: 'access_token' | 'refresh_token'): Promise<void> {
  const provider = await loadProvider(source);
  if (!provider.revocationEndpoint) throw new ConnectError('unsupported', `${provider.id} has no revocation endpoint`);
  const auth = clientAuthentication(provider, { token, ...(hint ? { token_type_hint: hint } : {}) });
  const response = await fetch(provider.revocationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...auth.headers },
    body: new URLSearchParams(auth.params),
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new ConnectError('revocation_failed', `revocation answered HTTP ${response.status}`);
}

/**
 * Client-credentials tokens for server-to-server calls, reused until shortly before they expire.
 * Concurrent callers share one request instead of each fetching a token.
 */
export class ClientCredentialsCache {
  private readonly entries = new Map<string, { tokens: TokenSet } | { pending: Promise<TokenSet> }>();

  constructor(
    private readonly provider: ProviderSource,
    /** A token this close to expiry is not handed out: it could expire in flight. */
    private readonly marginSeconds = 60,
  ) {}

  async get(scope = ''): Promise<TokenSet> {
    const entry = this.entries.get(scope);
    if (entry && 'pending' in entry) return entry.pending;
    if (entry && this.fresh(entry.tokens)) return entry.tokens;
    const pending = clientCredentialsGrant(this.provider, scope || undefined);
    this.entries.set(scope, { pending });
    try {
      const tokens = await pending;
      this.entries.set(scope, { tokens });
      return tokens;
    } catch (error) {
      this.entries.delete(scope);
      throw error;
    }
  }

  /** Drops a cached token the resource server refused (revoked before its time). */
  invalidate(scope = ''): void {
    this.entries.delete(scope);
  }

  private fresh(tokens: TokenSet): boolean {
    return tokens.expiresAt === null || tokens.expiresAt - this.marginSeconds > now();
  }
}
