import type { ProviderContext } from '../../context.ts';
import type { AuthorizationParameters, Client, Resource } from '../../storage.ts';
import type { OAuthErrorCode } from '../errors.ts';
import type { IssuanceFacts } from '../issuance/context.ts';

// An authorization request (RFC 6749 §4.1.1, §4.2.1) is checked by a chain of small named checks
// (./index.ts). Each says which endpoints it serves — the authorization endpoint now; pushed
// requests (PAR) and device authorization later — and which parameters it reads and vouches for:
// those, and only those, are kept with the request while the person logs in and decides. How an
// error is answered (a page, a redirect, JSON) is the endpoint's business, not the check's.

/** Where an authorization request can be made. */
export type AuthorizationEndpoint = 'authorize' | 'par' | 'device';

/** The request as it is being checked; each check fills in what it established. */
export interface CheckState {
  endpoint: AuthorizationEndpoint;
  params: AuthorizationParameters;
  client?: Client;
  redirectUri?: string;
  responseType?: string;
  scope?: string[];
  /** The registered APIs the request names with `resource` (RFC 8707), whose scopes it may ask for. */
  resources?: Resource[];
  /** Facts the request establishes for the tokens it leads to (a nonce, resources, …). */
  facts: IssuanceFacts;
}

export interface AuthorizationCheck {
  name: string;
  /** The endpoints whose requests this check applies to. */
  endpoints: readonly AuthorizationEndpoint[];
  /** The parameters this check reads and vouches for; they are kept with the request. */
  parameters: readonly string[];
  /** Those of its parameters that may be given more than once (RFC 8707's resource); kept as one space-separated value. */
  repeatable?: readonly string[];
  run(ctx: ProviderContext, state: CheckState): void | Promise<void>;
}

/** A request that passed every check of its endpoint. */
export interface AuthorizationRequest {
  client: Client;
  /** Established at the endpoints that redirect (authorize, par); a device has none. */
  redirectUri?: string;
  responseType?: string;
  scope: string[];
  /** Every accepted parameter, as received: what is stored, and checked again, while the person decides. */
  parameters: Readonly<Record<string, string>>;
  facts: IssuanceFacts;
}

/**
 * Why a request cannot be answered at the app's redirect URI, by reason. The description stays
 * English (it is also what the command line and logs show); a page for people translates the
 * reason, which `reasonOf` recovers from the description.
 */
export const unredirectable = {
  client_id_repeated: 'The client_id parameter was given more than once.',
  client_id_missing: 'The request names no app: the client_id parameter is missing.',
  client_unknown: 'No app is registered with this client_id.',
  client_document: "The app's metadata document (its client_id is the document's URL) could not be used.",
  redirect_uri_repeated: 'The redirect_uri parameter was given more than once.',
  redirect_uri_missing: 'The request has no redirect_uri, and the app registered more than one.',
  redirect_uri_mismatch: 'The redirect_uri does not match any callback URL registered for this app.',
  request_unknown: 'This sign-in request has expired, was already answered, or was started in another browser.',
} as const;

export type UnredirectableReason = keyof typeof unredirectable;

export function reasonOf(description: string): UnredirectableReason | undefined {
  // A description may go on after the reason's sentence with what exactly went wrong (client_document).
  return (Object.keys(unredirectable) as UnredirectableReason[]).find((reason) => description === unredirectable[reason] || description.startsWith(`${unredirectable[reason]} `));
}

/**
 * An error found before the client and its redirect URI are known good: never sent to the
 * redirect URI (§4.1.2.1), so that nobody can use Grantry to bounce a person to an address of
 * their choosing. A back-channel endpoint answers it as JSON with `code`.
 */
export class UnredirectableError extends Error {
  constructor(
    readonly description: string,
    readonly code: OAuthErrorCode = 'invalid_request',
  ) {
    super(description);
  }
}

/** A parameter given once and not empty; undefined otherwise (a repeat is refused by its own check). */
export function single(state: Pick<CheckState, 'params'>, name: string): string | undefined {
  const value = state.params[name];
  if (Array.isArray(value)) return undefined;
  return value === '' ? undefined : (value as string | undefined);
}

/**
 * A parameter that may repeat, as its list of values: repeated in the request, or once — in which
 * case the value is a stored request's, where a repeated parameter is kept space-separated (the
 * values are URIs, which hold no spaces).
 */
export function listed(state: Pick<CheckState, 'params'>, name: string): string[] {
  const value = state.params[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(' ');
}

export function repeated(state: Pick<CheckState, 'params'>, name: string): boolean {
  return Array.isArray(state.params[name]);
}
