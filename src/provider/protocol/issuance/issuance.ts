import type { GrantType } from '../../../config/defaults.ts';
import type { Client, Grant, PublicUser } from '../../storage.ts';
import type { IssuanceContext } from './context.ts';

/**
 * What a grant decided: tokens are to be issued, to this client, under this grant, with this
 * context. A grant returns one and calls nothing else; the token response is then assembled by the
 * contributors (./response.ts), none of which a grant names.
 */
export interface Issuance {
  /** The grant type that decided, for the audit trail and for contributors that care. */
  grantType: GrantType;
  client: Client;
  /** The stored grant the tokens stand for; null for an app's own token (client_credentials). */
  grant: Pick<Grant, 'id' | 'createdAt'> | null;
  context: IssuanceContext;
  /** Where the answer goes: the token endpoint's JSON body, or an authorization response's fragment (implicit). */
  channel: 'token_endpoint' | 'fragment';
  /**
   * A refresh token is wanted, with this scope (RFC 6749 §6: on rotation, the scope of the one
   * presented) and, on rotation, the absolute end carried over. The refresh-token contributor
   * adds one only when the app may refresh.
   */
  refresh?: { scope: string; absoluteExpiresAt?: number };
  /** At the authorization endpoint: the response type being answered (implicit's token, id_token token). */
  responseType?: string;
  /** The person, when the grant has them at hand already (an ID token with claims then needs no read). */
  user?: PublicUser;
  /** Seconds; the configured access-token lifetime when not given. */
  accessTokenLifetime?: number;
}
