// refresh_token (RFC 6749 §6), rotated on every use (RFC 9700 §4.14.2).
// Statements on success, beside the client lookup: 3 — the token read with its grant (one join),
// the atomic rotation, the new refresh token (an opaque access token adds a fourth). The token is
// read and checked before it is rotated, so that a request refused for a wrong scope or client
// does not use it up and make the client's next, honest, request look like theft.

import { sha256 } from '../../../lib/crypto.ts';
import type { Client, Grant, RefreshToken } from '../../storage.ts';
import type { ProviderContext } from '../../context.ts';
import { invalidGrant, invalidRequest, invalidScope } from '../errors.ts';
import { clientMayUse, formatScope, isSubset, parseScope } from '../scopes.ts';
import { isRefreshTokenExpired } from '../tokens/refresh-token.ts';
import { narrowedAudience, scopeForAudience, scopesOfAudience } from '../resources.ts';
import { list, resourceParameter, single, type GrantModule } from './grant.ts';

const now = () => Math.floor(Date.now() / 1000);

interface PresentedRefreshToken {
  token: RefreshToken;
  grant: Grant;
}

export const refreshTokenGrant: GrantModule = {
  grantType: 'refresh_token',
  feature: 'refreshToken',
  parameters: [{ name: 'refresh_token' }, { name: 'scope' }, resourceParameter],
  redirects: false,
  clientRule: () => undefined,

  async exchange(ctx, { client, params }) {
    const presented = single(params, 'refresh_token');
    if (presented === undefined) throw invalidRequest('the refresh_token parameter is missing');
    const tokenHash = sha256(presented);
    const found = await findRefreshToken(ctx, tokenHash);
    checkIssuedToClient(found, client);
    checkGrantStands(found);
    checkNotExpired(found);
    if (found.token.rotatedAt !== null) await handleReuse(ctx, found, reuseOutcome(ctx, found.token));
    // RFC 8707 §2.2: a refresh may narrow the APIs the grant was for, never widen them.
    const audience = narrowedAudience(found.grant.context.audience, list(params, 'resource'));
    const granted = withinAppScopes(narrowedScope(found, single(params, 'scope')), client, await scopesOfAudience(ctx, found.grant.context.audience));
    const scope = await scopeForAudience(ctx, granted, found.grant.context.audience, audience);
    if (found.token.rotatedAt === null) await rotate(ctx, found, tokenHash);
    return {
      grantType: 'refresh_token',
      client,
      grant: found.grant,
      // The facts of the authorization carry over; the scope may be narrower.
      context: { ...found.grant.context, clientId: client.id, userId: found.grant.userId, scope, ...(audience ? { audience } : {}) },
      channel: 'token_endpoint',
      // RFC 6749 §6: the new refresh token has exactly the scope of the one it replaces.
      refresh: { scope: found.token.scope, absoluteExpiresAt: found.token.absoluteExpiresAt },
    };
  },
};

async function findRefreshToken(ctx: ProviderContext, tokenHash: string): Promise<PresentedRefreshToken> {
  const found = await ctx.store.refreshTokens.findWithGrant(tokenHash);
  if (!found) throw invalidGrant('the refresh token is unknown');
  return found;
}

/** Another client's refresh token is, to that client, a token that does not exist: it is left as it was, and nothing says it is there. */
function checkIssuedToClient({ token }: PresentedRefreshToken, client: Client): void {
  if (token.clientId !== client.id) throw invalidGrant('the refresh token is unknown');
}

function checkGrantStands({ grant }: PresentedRefreshToken): void {
  if (grant.revokedAt !== null) throw invalidGrant('the refresh token has been revoked');
}

function checkNotExpired({ token }: PresentedRefreshToken): void {
  if (isRefreshTokenExpired(token)) throw invalidGrant('the refresh token has expired');
}

/** A refresh may ask for less than the user granted, never for more. */
function narrowedScope({ token }: PresentedRefreshToken, requested: string | undefined): string {
  const wanted = parseScope(requested);
  if (wanted.length === 0) return token.scope;
  if (!isSubset(wanted, token.scope)) throw invalidScope(`the scope may be narrowed, not widened: this refresh token holds "${token.scope}"`);
  return formatScope(wanted);
}

/**
 * An operator or owner may since have taken scopes away from the app: new tokens hold only what it
 * is still allowed, or what the APIs of the grant (RFC 8707) still define.
 */
function withinAppScopes(scope: string, client: Client, resourceScopes: readonly string[]): string {
  const allowed = scope.split(' ').filter((name) => clientMayUse(client, name) || resourceScopes.includes(name));
  if (allowed.length === 0) throw invalidScope('the app is no longer allowed any scope this refresh token holds');
  return formatScope(allowed);
}

/** The atomic gate: of any number of concurrent uses exactly one rotates the token. */
async function rotate(ctx: ProviderContext, found: PresentedRefreshToken, tokenHash: string): Promise<void> {
  const { outcome } = await ctx.store.refreshTokens.rotate(tokenHash, ctx.config.lifetimes.refreshTokenReuseGrace);
  if (outcome === 'unknown') throw invalidGrant('the refresh token is unknown');
  if (outcome === 'reused') await handleReuse(ctx, found, outcome);
}

/**
 * A token that was already rotated is being used twice. Within the grace period that is the
 * client's own retry (a lost response), and it gets a fresh pair; after it, someone holds a copy,
 * and the whole grant is revoked so that neither the thief's tokens nor the client's work any more.
 */
async function handleReuse(ctx: ProviderContext, found: PresentedRefreshToken, outcome: 'grace' | 'reused'): Promise<void> {
  if (outcome === 'grace') return;
  await ctx.store.grants.revoke(found.grant.id, 'refresh_token_reused');
  ctx.audit.record({ event: 'refresh_token_reused', clientId: found.token.clientId, userId: found.token.userId, detail: { grant_id: found.grant.id } });
  throw invalidGrant('the refresh token was already used; every token of this grant is now revoked');
}

function reuseOutcome(ctx: ProviderContext, token: RefreshToken): 'grace' | 'reused' {
  const grace = ctx.config.lifetimes.refreshTokenReuseGrace;
  return grace > 0 && token.rotatedAt !== null && now() - token.rotatedAt <= grace ? 'grace' : 'reused';
}
