import { createHmac } from 'node:crypto';
import type { Client } from '../storage.ts';
import { isLoopbackHost } from './loopback.ts';

// Subject identifiers (OpenID Connect Core §8). Everything an app receives names the person by
// the same `sub`: the ID token, UserInfo, the token response's uid, /api/me, a JWT access token's
// sub and introspection. For a `public` app that is the user's id, as the uid always was. For a
// `pairwise` app it is an HMAC of the app's sector and the user's id under a salt the provider made
// once (../context.ts): stable for the life of the sector, the same for every app of one sector,
// and unlinkable across sectors without the salt (Core §8.1).

export type SubjectClient = Pick<Client, 'id' | 'subjectType' | 'sectorIdentifier' | 'redirectUris'>;

/** The name of the salt among the provider's kept values. */
export const pairwiseSaltName = 'pairwise_salt';

/**
 * The sector a pairwise app's subjects are computed for: its sectorIdentifier, which registration
 * fixes when the app becomes pairwise (an operator may set it), so that moving the app's redirect
 * URIs later changes no one's subject (Core §8: never reassigned); else the one host its redirect
 * URIs share (Core §8.1). A host that no one owns — loopback, or a native app's private-use scheme,
 * which any app can claim — is no sector to share: such an app's sector is its own id. Undefined
 * when the redirect URIs name several hosts, or none (validateClient refuses such an app).
 */
export function sectorOf(client: Pick<Client, 'id' | 'sectorIdentifier' | 'redirectUris'>): string | undefined {
  if (client.sectorIdentifier) return client.sectorIdentifier;
  const hosts = new Set<string>();
  for (const uri of client.redirectUris) {
    if (!URL.canParse(uri)) return undefined;
    const url = new URL(uri);
    const owned = (url.protocol === 'https:' || url.protocol === 'http:') && !isLoopbackHost(url.hostname);
    hosts.add(owned ? url.hostname : `client:${client.id}`);
  }
  return hosts.size === 1 ? [...hosts][0] : undefined;
}

/** What this app calls the person: their id, or the pairwise subject of the app's sector. */
export function subjectFor(salt: string, client: SubjectClient, userId: string): string {
  if (client.subjectType !== 'pairwise') return userId;
  // Unreachable for a stored app (validateClient refuses a pairwise app without a sector); the app's own id keeps it pairwise even so.
  const sector = sectorOf(client) ?? `client:${client.id}`;
  return createHmac('sha256', salt).update(`${sector}\n${userId}`).digest('base64url');
}

/** subjectFor with the provider's own salt. */
export function subjectOf(ctx: { pairwiseSalt: string }, client: SubjectClient, userId: string): string {
  return subjectFor(ctx.pairwiseSalt, client, userId);
}
