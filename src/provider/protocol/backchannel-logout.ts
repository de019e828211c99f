import { randomUUID } from 'node:crypto';
import { hmac } from '../../lib/crypto.ts';
import type { ProviderContext } from '../context.ts';
import type { Client, LogoutDelivery } from '../storage.ts';
import { subjectOf } from './subject.ts';
import { signJwt } from './tokens/jwt.ts';

// OpenID Connect Back-Channel Logout 1.0 without HTTP: when a person's provider session ends, or
// they withdraw an app from /account/apps, every app of theirs that registered a
// backchannel_logout_uri is told so by a signed logout token POSTed to it. The notices are stored
// first (one multi-row insert), so the logout page never waits for an app, and a delivery that
// fails is retried with backoff, across restarts (../backchannel-logout.ts sends them).

/** The event that marks a JWT as a logout token (§2.4). */
export const backchannelLogoutEvent = 'http://schemas.openid.net/event/backchannel-logout';
/** Explicit typing (§2.4, RFC 8725 §3.11): a logout token is never taken for an ID token. */
export const logoutTokenType = 'logout+jwt';

/**
 * The sid of a provider session as one app knows it (§2.1): derived from the session's stored
 * hash, so it needs no column, and from the app, so that two apps cannot join their users (their
 * pairwise subjects) on a sid they share. It gives nothing away about the cookie it came from.
 */
export function sessionIdOf(sessionHash: string, clientId: string): string {
  return hmac(sessionHash, `grantry sid ${clientId}`);
}

export type LogoutCause =
  /** A provider session ended (its stored hash): each app learns its own sid of it, and ends the sessions it made from it. */
  | { sessionHash: string }
  /** The person withdrew one app: it learns only who, and ends every session of theirs (§2.4: sub without sid). */
  | { clientId: string };

/**
 * Stores a logout notice for each app of the person that wants one, and says how many. A session's
 * end tells every app the person has a live grant for; one that did not sign them in through that
 * session finds no session with its sid and does nothing (§2.6).
 */
export async function noticeLogout(ctx: ProviderContext, userId: string, cause: LogoutCause): Promise<number> {
  const clientIds = 'clientId' in cause ? [cause.clientId] : (await ctx.store.grants.listAuthorizedApps(userId)).map((app) => app.client.id);
  const now = Math.floor(Date.now() / 1000);
  const deliveries: Omit<LogoutDelivery, 'attempts' | 'lastError'>[] = [];
  for (const clientId of clientIds) {
    const client = await ctx.store.clients.findCached(clientId, ctx.config.clientCacheSeconds);
    if (!client?.backchannelLogoutUri) continue;
    deliveries.push({
      id: randomUUID(),
      clientId,
      subject: subjectOf(ctx, client, userId),
      sessionId: 'sessionHash' in cause ? sessionIdOf(cause.sessionHash, clientId) : null,
      nextAttemptAt: now,
      createdAt: now,
    });
  }
  await ctx.store.logoutDeliveries.enqueue(deliveries);
  if (deliveries.length > 0) ctx.wakeLogoutDeliveries();
  return deliveries.length;
}

/** The claims of a logout token (§2.4): never a nonce, always the event. */
export interface LogoutTokenClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  sub: string;
  sid?: string;
  events: Record<typeof backchannelLogoutEvent, Record<string, never>>;
}

/** The logout token of one delivery, signed now, with the app's ID-token algorithm (§2.4: as its ID tokens). */
export function signLogoutToken(ctx: ProviderContext, client: Client, delivery: Pick<LogoutDelivery, 'subject' | 'sessionId'>): string {
  const issuedAt = Math.floor(Date.now() / 1000);
  const claims: LogoutTokenClaims = {
    iss: ctx.config.issuer,
    aud: client.id,
    iat: issuedAt,
    exp: issuedAt + ctx.config.backchannelLogout.tokenLifetimeSeconds,
    jti: randomUUID(),
    sub: delivery.subject,
    ...(delivery.sessionId !== null ? { sid: delivery.sessionId } : {}),
    events: { [backchannelLogoutEvent]: {} },
  };
  return signJwt(ctx.keys.signingKey(client.idTokenSignedResponseAlg ?? 'RS256'), logoutTokenType, claims);
}
