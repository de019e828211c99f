// authorization_code (RFC 6749 §4.1, PKCE RFC 7636 §4.6).
// At the authorization endpoint: one statement, the code (its SHA-256), carrying the issuance facts.
// At the token endpoint, on success: 3 statements beside the client lookup — the atomic redemption
// of the code, the grant row, the refresh token (an opaque access token adds a fourth). A replay
// costs the redemption's second read, the grant's revocation and an audit event.

import { randomUUID } from 'node:crypto';
import { randomToken, s256, sha256 } from '../../../lib/crypto.ts';
import type { AuthorizationCode, Client } from '../../storage.ts';
import type { ProviderContext } from '../../context.ts';
import { invalidGrant, invalidRequest } from '../errors.ts';
import { narrowedAudience, scopeForAudience } from '../resources.ts';
import { list, resourceParameter, single, type GrantModule, type TokenParameters } from './grant.ts';

const now = () => Math.floor(Date.now() / 1000);

/** RFC 7636 §4.1: 43 to 128 characters of the unreserved set. */
const codeVerifierSyntax = /^[A-Za-z0-9\-._~]{43,128}$/;

export const authorizationCodeGrant: GrantModule = {
  grantType: 'authorization_code',
  feature: 'authorizationCode',
  parameters: [{ name: 'code' }, { name: 'redirect_uri' }, { name: 'code_verifier' }, resourceParameter],
  redirects: true,
  clientRule: () => undefined,
  metadata: {
    response_modes_supported: ['query'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
  },

  authorization: {
    responseTypes: ['code'],
    responseMode: 'query',
    async respond(ctx, { request, user, signIn }) {
      const code = randomToken(32);
      await ctx.store.codes.create({
        codeHash: sha256(code),
        grantId: randomUUID(),
        clientId: request.client.id,
        userId: user.id,
        redirectUri: request.redirectUri,
        scope: request.scope.join(' '),
        codeChallenge: request.parameters.code_challenge ?? null,
        expiresAt: now() + ctx.config.lifetimes.authorizationCode,
        context: { ...request.facts, ...signIn },
      });
      return { mode: 'query', params: { code } };
    },
  },

  async exchange(ctx, { client, params }) {
    const code = requireParam(params, 'code');
    const verifier = single(params, 'code_verifier');
    checkVerifierSyntax(verifier);
    const redeemed = await redeemCode(ctx, code, client);
    checkNotExpired(redeemed);
    checkRedirectUri(redeemed, client, single(params, 'redirect_uri'));
    checkProofKey(redeemed, verifier);
    // RFC 8707 §2.2: the access token may be for fewer of the authorized APIs, never for others;
    // checked before the grant is written, so that a wrong resource leaves no grant without tokens.
    const audience = narrowedAudience(redeemed.context.audience, list(params, 'resource'));
    const scope = await scopeForAudience(ctx, redeemed.scope, redeemed.context.audience, audience);
    const grant = { id: redeemed.grantId, clientId: client.id, userId: redeemed.userId, scope: redeemed.scope, createdAt: now(), context: redeemed.context };
    // If a replay of this code got in first, the grant already stands revoked and this writes
    // nothing: the tokens issued now are then dead on arrival, as they must be.
    await ctx.store.grants.createOnce(grant);
    return {
      grantType: 'authorization_code',
      client,
      grant,
      context: { ...redeemed.context, clientId: client.id, userId: redeemed.userId, scope, ...(audience ? { audience } : {}) },
      channel: 'token_endpoint',
      refresh: { scope: redeemed.scope },
    };
  },
};

function requireParam(params: TokenParameters, name: string): string {
  const value = single(params, name);
  if (value === undefined) throw invalidRequest(`the ${name} parameter is missing`);
  return value;
}

// Checked before the code is redeemed, so that a malformed request does not burn a good code.
function checkVerifierSyntax(verifier: string | undefined): void {
  if (verifier !== undefined && !codeVerifierSyntax.test(verifier)) {
    throw invalidRequest('the code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, "-", ".", "_" and "~"');
  }
}

/**
 * Codes are single use. A code presented again means that it leaked, or that someone is replaying
 * it: RFC 6749 §4.1.2 says to revoke what was issued from it, so the grant goes, with every token.
 * Only the client the code was issued to can spend or burn it (§4.1.3): another client's attempt
 * changes nothing, is recorded for the code's app, and is told no more than for a code that does
 * not exist.
 */
async function redeemCode(ctx: ProviderContext, code: string, client: Client): Promise<AuthorizationCode> {
  const redemption = await ctx.store.codes.redeem(sha256(code), client.id);
  if (redemption.outcome === 'redeemed') return redemption.code;
  if (redemption.outcome === 'unknown') throw invalidGrant('the authorization code is unknown');
  if (redemption.outcome === 'another_client') {
    const { code: foreign } = redemption;
    ctx.audit.record({ event: 'code_misused', clientId: foreign.clientId, userId: foreign.userId, detail: { presented_by: client.id } });
    throw invalidGrant('the authorization code is unknown');
  }
  const replayed = redemption.code;
  await ctx.store.grants.revokeOfCode(replayed, 'code_replayed');
  ctx.audit.record({ event: 'token_revoked', clientId: replayed.clientId, userId: replayed.userId, detail: { grant_id: replayed.grantId, reason: 'authorization_code_replayed' } });
  throw invalidGrant('the authorization code was already used; every token issued from it is now revoked');
}

function checkNotExpired(code: AuthorizationCode): void {
  if (code.expiresAt <= now()) throw invalidGrant('the authorization code has expired');
}

/**
 * RFC 6749 §4.1.3: the redirect_uri must be the one of the authorization request. That request may
 * leave it out when the app registered exactly one, and then so may this one.
 */
function checkRedirectUri(code: AuthorizationCode, client: Client, redirectUri: string | undefined): void {
  if (redirectUri === undefined) {
    const impliedByRegistration = client.redirectUris.length === 1 && client.redirectUris[0] === code.redirectUri;
    if (!impliedByRegistration) throw invalidGrant('the redirect_uri parameter is missing; it must equal the one of the authorization request');
    return;
  }
  if (redirectUri !== code.redirectUri) throw invalidGrant('the redirect_uri differs from the one of the authorization request');
}

/** RFC 7636 §4.6, S256 only. A verifier with no challenge is refused too: it hints at a downgrade. */
function checkProofKey(code: AuthorizationCode, verifier: string | undefined): void {
  if (code.codeChallenge === null) {
    if (verifier !== undefined) throw invalidGrant('a code_verifier was sent, but the authorization request had no code_challenge');
    return;
  }
  if (verifier === undefined) throw invalidGrant('the code_verifier is missing; the authorization request had a code_challenge');
  if (s256(verifier) !== code.codeChallenge) throw invalidGrant('the code_verifier does not match the code_challenge');
}
