// Shared by the token-side tests (token-*, grants-*, api, revoke, introspect, jwks): codes made as
// the authorization endpoint makes them, form posts to the token endpoint, and a statement counter.
import { randomUUID } from 'node:crypto';
import { randomToken, s256, sha256 } from '../../src/lib/crypto.ts';
import type { Client, User } from '../../src/store/index.ts';
import type { ProviderContext } from '../../src/provider/context.ts';
import { createOpaqueAccessToken, signJwtAccessToken } from '../../src/provider/protocol/tokens/access-token.ts';
import type { RunningProvider } from '../helpers/provider.ts';
import { basic } from '../helpers/basic.ts';

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

export async function postForm(provider: RunningProvider, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${provider.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export async function getMe(provider: RunningProvider, accessToken: string | undefined, path = '/api/me'): Promise<Reply> {
  const response = await fetch(`${provider.url}${path}`, { headers: accessToken === undefined ? {} : { authorization: `Bearer ${accessToken}` } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** RFC 6749 §2.3.1: each part form-urlencoded, then joined and base64-encoded. */
export function basicAuth(clientId: string, secret: string): Record<string, string> {
  return { authorization: basic(clientId, secret) };
}

export const redirectUri = 'https://app.example/callback';

/** An authorization code exactly as the authorization endpoint stores one (the grant row does not exist yet). */
export async function makeCode(
  provider: RunningProvider,
  options: { client: Client; user: User; scope?: string; verifier?: string | null; redirectUri?: string; expiresIn?: number },
): Promise<{ code: string; grantId: string; verifier: string | undefined }> {
  const code = randomToken(32);
  const grantId = randomUUID();
  const verifier = options.verifier === null ? undefined : (options.verifier ?? randomToken(32));
  await provider.store.codes.create({
    codeHash: sha256(code),
    grantId,
    clientId: options.client.id,
    userId: options.user.id,
    redirectUri: options.redirectUri ?? redirectUri,
    scope: options.scope ?? 'profile',
    codeChallenge: verifier === undefined ? null : s256(verifier),
    expiresAt: Math.floor(Date.now() / 1000) + (options.expiresIn ?? 60),
  });
  return { code, grantId, verifier };
}

/** A web app with its secret, a user, and a code exchanged for tokens. */
export async function webAppWithTokens(provider: RunningProvider, options: { scope?: string; tokenFormat?: 'jwt' | 'opaque' } = {}) {
  const { client, clientSecret } = await provider.registerClient({ appType: 'web', tokenFormat: options.tokenFormat });
  const user = await provider.createUser();
  const { code, verifier, grantId } = await makeCode(provider, { client, user, scope: options.scope });
  const reply = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier! }, basicAuth(client.id, clientSecret!));
  if (reply.status !== 200) throw new Error(`exchange failed: ${JSON.stringify(reply.body)}`);
  return { client, clientSecret: clientSecret!, user, grantId, tokens: reply.body as { access_token: string; refresh_token: string; expires_in: number; scope: string; uid: string } };
}

// ── counting SQL statements ──────────────────────────────────────────────────────────────────

/** The SQL statements the provider runs while `work` runs (nothing else may run meanwhile). */
export async function countStatements<T>(provider: RunningProvider, work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  const start = provider.queries.length;
  const result = await work();
  return { result, statements: provider.queries.slice(start) };
}

/**
 * An access token minted directly, as the access-token contributor mints one, in the client's
 * format: for tokens no flow would hand out (already expired, signed by a rotated key).
 */
export async function mintAccessToken(
  ctx: ProviderContext,
  input: { client: Pick<Client, 'id' | 'tokenFormat'>; grantId: string | null; userId: string | null; scope: string; lifetime?: number },
): Promise<{ accessToken: string }> {
  const tokenInput = {
    context: { clientId: input.client.id, userId: input.userId, scope: input.scope },
    grantId: input.grantId,
    lifetime: input.lifetime ?? ctx.config.lifetimes.accessToken,
    subject: input.userId ?? input.client.id,
  };
  return { accessToken: input.client.tokenFormat === 'opaque' ? await createOpaqueAccessToken(ctx, tokenInput) : signJwtAccessToken(ctx, tokenInput) };
}
