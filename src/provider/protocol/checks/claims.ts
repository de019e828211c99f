import { personClaimNames, scopeOfClaim } from '../claims.ts';
import { invalidRequest } from '../errors.ts';
import { single, type AuthorizationCheck } from './request.ts';

/** Far more than the claims Grantry knows could take; the request is stored while the person decides. */
export const maxClaimsLength = 4096;

/**
 * `claims` (OpenID Connect Core §5.5): a JSON object asking for particular claims in the ID token
 * and at UserInfo, beyond what the scopes reveal. Grantry keeps the names of the claims it can
 * state whose scope the app may be granted (others are ignored, as §5.5 has it for unknown ones),
 * and the consent page names them; `essential` is honoured as far as a claim has a value:
 * a claim the person has no value for is left out either way (§5.5.1: not an error). Kept as a
 * fact of the request; without `openid` it is never used.
 */
export const checkClaims: AuthorizationCheck = {
  name: 'claims',
  endpoints: ['authorize', 'par'],
  parameters: ['claims'],
  run(_ctx, state) {
    const text = single(state, 'claims');
    if (text === undefined) return;
    if (text.length > maxClaimsLength) throw invalidRequest(`claims must be at most ${maxClaimsLength} characters`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalidRequest('claims is not JSON');
    }
    if (!isObject(parsed)) throw invalidRequest('claims must be a JSON object');
    const requested: { userinfo?: string[]; id_token?: string[] } = {};
    for (const target of ['userinfo', 'id_token'] as const) {
      const members = parsed[target];
      if (members === undefined) continue;
      if (!isObject(members)) throw invalidRequest(`claims.${target} must be a JSON object`);
      for (const [name, request] of Object.entries(members)) {
        // Each member is null (asked for, by default) or an object of essential, value and values (§5.5.1).
        if (request !== null && !isObject(request)) throw invalidRequest(`claims.${target}.${name} must be null or an object`);
        if (isObject(request) && request.essential !== undefined && typeof request.essential !== 'boolean') throw invalidRequest(`claims.${target}.${name}.essential must be true or false`);
        if (isObject(request) && request.values !== undefined && !Array.isArray(request.values)) throw invalidRequest(`claims.${target}.${name}.values must be an array`);
      }
      // A claim is asked for as its scope would be: one the app may not be granted is ignored, as an unknown one is.
      const known = Object.keys(members).filter((name) => personClaimNames.includes(name) && state.client!.scopes.includes(scopeOfClaim(name)!));
      if (known.length > 0) requested[target] = known;
    }
    if (requested.userinfo || requested.id_token) state.facts.claims = requested;
  },
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
