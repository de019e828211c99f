import type { PublicUser } from '../storage.ts';

// The claims Grantry can state about a person (OpenID Connect Core §5.1), which scope asks for
// which (§5.4), and how a person's record answers them. Used by UserInfo and by ID tokens that
// carry claims (an implicit `id_token` response, or the `claims` request parameter).

/** What each standard scope reveals (Core §5.4). */
export const scopeClaims: Readonly<Record<string, readonly string[]>> = {
  profile: ['name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** Every claim a person's record can answer. */
export const personClaimNames: readonly string[] = Object.values(scopeClaims).flat();

export type ClaimValue = string | boolean | number | Record<string, string>;

/** The scope that reveals a claim, if any does. */
export function scopeOfClaim(name: string): string | undefined {
  return Object.keys(scopeClaims).find((scope) => scopeClaims[scope]!.includes(name));
}

/**
 * The claims among `names` that the app may still be given: those of a scope it holds now. A
 * grant's claims were asked for when the app held their scope; an operator may have taken it away
 * since, and the tokens of that grant then say no more than the app may.
 */
export function claimsAllowedTo(client: { scopes: readonly string[] }, names: readonly string[]): string[] {
  return names.filter((name) => client.scopes.includes(scopeOfClaim(name) ?? ''));
}

/** The names of the claims the granted scopes reveal. */
export function claimsOfScopes(scopes: readonly string[]): string[] {
  return scopes.flatMap((scope) => scopeClaims[scope] ?? []);
}

/**
 * The claims a request asks for by name (the claims parameter) that its scopes do not reveal
 * already: what the consent page adds, and what a remembered consent does not cover.
 */
export function claimsBeyondScopes(scopes: readonly string[], requested: { userinfo?: string[]; id_token?: string[] } | undefined): string[] {
  if (!requested || !scopes.includes('openid')) return [];
  const revealed = new Set(claimsOfScopes(scopes));
  return [...new Set([...(requested.id_token ?? []), ...(requested.userinfo ?? [])])].filter((name) => !revealed.has(name));
}

/**
 * The values of `names` that the person's record has. A claim without a value is left out, never
 * sent empty (Core §5.3.2); an unknown name is ignored (§5.5: a request for a claim the OP does not
 * know is not an error).
 */
export function personClaims(user: PublicUser, names: Iterable<string>): Record<string, ClaimValue> {
  const claims: Record<string, ClaimValue> = {};
  for (const name of names) {
    const value = claimValue(user, name);
    if (value !== undefined) claims[name] = value;
  }
  return claims;
}

function claimValue(user: PublicUser, name: string): ClaimValue | undefined {
  switch (name) {
    case 'name':
      return user.displayName || undefined;
    case 'preferred_username':
      return user.username;
    case 'email':
      return user.email ?? undefined;
    case 'email_verified':
      // Grantry does not verify email addresses: an address is there, unverified.
      return user.email ? false : undefined;
    default: {
      // The rest come from the claims an operator gave the person (grantry user claims).
      const value = user.claims?.[name];
      return value === undefined || value === '' ? undefined : value;
    }
  }
}
