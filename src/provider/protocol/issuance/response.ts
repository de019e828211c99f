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
  /** Runs after the others, and is given their fields (the ID token's at_hash is a hash of the access token). */
  afterOthers?: boolean;
  contribute(ctx: ProviderContext, issuance: Issuance, others: Partial<TokenResponse>): Partial<TokenResponse> | undefined | Promise<Partial<TokenResponse> | undefined>;
}

export const tokenResponseContributors: readonly TokenResponseContributor[] = [accessTokenContributor, refreshTokenContributor, idTokenContributor, uidContributor];

export async function assembleTokenResponse(ctx: ProviderContext, issuance: Issuance): Promise<TokenResponse> {
  const parts = new Map<TokenResponseContributor, Partial<TokenResponse> | undefined>();
  const first = tokenResponseContributors.filter((contributor) => !contributor.afterOthers);
  const firstParts = await Promise.all(first.map((contributor) => contributor.contribute(ctx, issuance, {})));
  first.forEach((contributor, index) => parts.set(contributor, firstParts[index]));
  const others: Partial<TokenResponse> = Object.assign({}, ...firstParts);
  const late = tokenResponseContributors.filter((contributor) => contributor.afterOthers);
  const lateParts = await Promise.all(late.map((contributor) => contributor.contribute(ctx, issuance, others)));
  late.forEach((contributor, index) => parts.set(contributor, lateParts[index]));
  return Object.assign({}, ...tokenResponseContributors.map((contributor) => parts.get(contributor))) as TokenResponse;
}
