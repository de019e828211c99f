import type { ProviderContext } from '../../context.ts';
import { accessTokenContributor } from './contributors/access-token.ts';
import { idTokenContributor } from './contributors/id-token.ts';
import { refreshTokenContributor } from './contributors/refresh-token.ts';
import { uidContributor } from './contributors/uid.ts';
import type { Issuance } from './issuance.ts';

/** The successful token response of RFC 6749 §5.1, and whatever fields contributors add beside it. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
  [field: string]: string | number | undefined;
}

/**
 * One part of a token response. Each contributor looks at the issuance and returns the fields it
 * adds, or nothing; they run side by side (a signature on the thread of the request while a row is
 * written), and their fields are laid out in the order of the list below. A new field of the
 * response — an ID token, DPoP's token_type — is one contributor, added to the list.
 */
export interface TokenResponseContributor {
  name: string;
  contribute(ctx: ProviderContext, issuance: Issuance): Partial<TokenResponse> | undefined | Promise<Partial<TokenResponse> | undefined>;
}

export const tokenResponseContributors: readonly TokenResponseContributor[] = [accessTokenContributor, refreshTokenContributor, idTokenContributor, uidContributor];

export async function assembleTokenResponse(ctx: ProviderContext, issuance: Issuance): Promise<TokenResponse> {
  const parts = await Promise.all(tokenResponseContributors.map((contributor) => contributor.contribute(ctx, issuance)));
  return Object.assign({}, ...parts) as TokenResponse;
}
