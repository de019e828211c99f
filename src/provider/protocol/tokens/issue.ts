import type { Client, Grant } from '../../../store/index.ts';
import type { ProviderContext } from '../../context.ts';
import { createOpaqueAccessToken, signJwtAccessToken, type AccessTokenInput } from './access-token.ts';
import { createRefreshToken } from './refresh-token.ts';

// Minting what the token endpoint answers with. The authorization endpoint uses issueAccessToken
// alone for the implicit grant, which never gets a refresh token.

export interface IssueAccessTokenInput {
  client: Pick<Client, 'id' | 'tokenFormat'>;
  /** Null for a token an app gets for itself (client_credentials): no grant row stands behind it. */
  grantId: string | null;
  userId: string | null;
  scope: string;
  /** Seconds; the configured access-token lifetime when not given. */
  lifetime?: number;
}

/** A JWT costs no statement; an opaque token one insert. */
export async function issueAccessToken(ctx: ProviderContext, input: IssueAccessTokenInput): Promise<{ accessToken: string; expiresIn: number }> {
  const expiresIn = input.lifetime ?? ctx.config.lifetimes.accessToken;
  const tokenInput: AccessTokenInput = {
    clientId: input.client.id,
    grantId: input.grantId,
    userId: input.userId,
    scope: input.scope,
    lifetime: expiresIn,
  };
  const accessToken = input.client.tokenFormat === 'opaque' ? await createOpaqueAccessToken(ctx, tokenInput) : await signJwtAccessToken(ctx, tokenInput);
  return { accessToken, expiresIn };
}

/** The successful token response of RFC 6749 §5.1, with the `uid` that Weibo-style clients read. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** The user's id, as the seed's platform returns it; absent when the app acts for itself. */
  uid?: string;
}

export interface IssueTokensInput {
  client: Pick<Client, 'id' | 'tokenFormat' | 'grantTypes'>;
  grant: Pick<Grant, 'id' | 'clientId' | 'userId' | 'createdAt'>;
  /** The access token's scope. */
  scope: string;
  /**
   * Whether to add a refresh token, and with which scope (RFC 6749 §6: on rotation, the scope of the
   * refresh token presented). Only apps allowed the refresh_token grant get one.
   */
  refresh?: { scope: string; absoluteExpiresAt?: number };
}

/** One statement for the refresh token, none more for a JWT access token (one for an opaque one). */
export async function issueTokens(ctx: ProviderContext, input: IssueTokensInput): Promise<TokenResponse> {
  const refreshToken =
    input.refresh && mayRefresh(input.client)
      ? createRefreshToken(ctx, { grant: input.grant, scope: input.refresh.scope, absoluteExpiresAt: input.refresh.absoluteExpiresAt })
      : undefined;
  const access = issueAccessToken(ctx, { client: input.client, grantId: input.grant.id, userId: input.grant.userId, scope: input.scope });
  // Signing runs on the thread pool while the insert goes to the database.
  const [{ accessToken, expiresIn }, refresh] = await Promise.all([access, refreshToken]);
  const response: TokenResponse = { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: input.scope };
  if (refresh !== undefined) response.refresh_token = refresh;
  if (input.grant.userId !== null) response.uid = input.grant.userId;
  return response;
}

export const mayRefresh = (client: Pick<Client, 'grantTypes'>) => client.grantTypes.includes('refresh_token');
