import type { FeatureName, GrantType } from '../../../config/defaults.ts';
import type { ProviderContext } from '../../context.ts';
import type { Client, User } from '../../storage.ts';
import type { RedirectingRequest } from '../authorization.ts';
import type { IssuanceFacts } from '../issuance/context.ts';
import type { Issuance } from '../issuance/issuance.ts';
import type { ServerMetadata } from '../metadata.ts';

// A grant, as one registered unit: its grant_type, the parameters it reads, which apps may hold it,
// what it adds to the metadata, and how it answers. The token endpoint, the authorization endpoint,
// the app registration rules and the metadata all go through the list in ./index.ts, so a new grant
// is one module there and one switch in config/defaults.ts (features).

/** A parameter a grant reads at the token endpoint. Only those marked repeatable may appear more than once (RFC 8707's `resource` will). */
export interface TokenParameter {
  name: string;
  repeatable?: boolean;
}

/** A token request's parameters: a string each, or a list for a parameter its grant lets repeat. */
export type TokenParameters = Readonly<Record<string, string | readonly string[]>>;

/** What the HTTP layer knows about a token request beyond its parameters. */
export interface TokenRequestInfo {
  /** The caller's address, for the login throttling of the password grant and the audit trail. */
  address: string;
}

export interface TokenRequest {
  client: Client;
  params: TokenParameters;
  info: TokenRequestInfo;
}

/** The person's decision on an authorization request, with what is known of how they signed in. */
export interface Approval {
  request: RedirectingRequest;
  user: User;
  /** How the person signed in: facts every token of this authorization carries. */
  signIn: SignInFacts;
}

/** What is known of a person's sign-in, under the names the issuance facts give them. */
export type SignInFacts = Required<Pick<IssuanceFacts, 'authTime' | 'sid' | 'amr'>>;

/** An authorization response: where the parameters go (RFC 6749 §4.1.2 query, §4.2.2 fragment) and what they are. */
export interface AuthorizationResponse {
  mode: 'query' | 'fragment';
  params: Record<string, string | number | undefined>;
}

export interface GrantModule {
  /** The grant_type at the token endpoint, and the name an app's registration holds. */
  grantType: GrantType;
  /** Its switch in the configuration's `features`. */
  feature: FeatureName;
  /** The parameters it reads at the token endpoint, beyond grant_type and client authentication. */
  parameters: readonly TokenParameter[];
  /** Whether an app that holds it needs a registered redirect URI. */
  redirects: boolean;
  /** Why an app may not hold this grant (English, for the console and the CLI), or undefined when it may. */
  clientRule(client: Client): string | undefined;
  /** What it adds to the server metadata (RFC 8414); lists are merged with the other grants'. */
  metadata?: Partial<ServerMetadata>;
  /** Its answer at the token endpoint: what to issue, or an OAuthError. Absent for a grant only the authorization endpoint answers. */
  exchange?(ctx: ProviderContext, request: TokenRequest): Promise<Issuance>;
  /** Its part at the authorization endpoint: the response_type that asks for it, and the answer once the person allowed. */
  authorization?: {
    /** Each in its canonical spelling (./response-types.ts): values sorted. */
    responseTypes: readonly string[];
    responseMode: 'query' | 'fragment';
    respond(ctx: ProviderContext, approval: Approval): Promise<AuthorizationResponse>;
  };
}

/** A parameter its grant lets repeat (`resource`), as the list of its values. */
export function list(params: TokenParameters, name: string): string[] {
  const value = params[name];
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/** The `resource` parameter (RFC 8707 §2.2): every grant that issues tokens reads it, repeatable. */
export const resourceParameter: TokenParameter = { name: 'resource', repeatable: true };

/** A parameter read as one string: a list here means its grant let it repeat, which this one does not. */
export function single(params: TokenParameters, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' ? value : undefined;
}
