import type { ProviderContext } from '../context.ts';
import type { Client } from '../storage.ts';
import { subjectOf } from './subject.ts';
import { verifyIdTokenHint } from './tokens/id-token.ts';

// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) without HTTP: an app asks the
// provider to end the person's session, and may name where the browser goes afterwards. That
// place is followed only when the app registered it (exact match): an unknown one is never
// followed. The session ends at once only when the request is clearly from the app the person
// logged in to — an id_token_hint naming the person signed in; otherwise they are asked, so that
// no other site can log them out with a link.

/** The parameters of a logout request (§2), as received. */
export interface LogoutParameters {
  id_token_hint?: string;
  client_id?: string;
  post_logout_redirect_uri?: string;
  state?: string;
  ui_locales?: string;
}

export type LogoutStep =
  /** Shown on Grantry's own page; nothing is followed and nothing ends. */
  | { step: 'error'; description: string }
  /** End the session (if any) now, then go to `redirect`, or show that the person is logged out. */
  | { step: 'logout'; redirect?: string; client?: Client }
  /** Ask the person first; on yes, as `logout`. */
  | { step: 'confirm'; redirect?: string; client?: Client };

export async function checkLogoutRequest(ctx: ProviderContext, params: LogoutParameters, signedInUserId: string | null): Promise<LogoutStep> {
  const hint = params.id_token_hint ? await verifyIdTokenHint(ctx, params.id_token_hint) : undefined;
  if (params.id_token_hint && !hint) return { step: 'error', description: 'id_token_hint is not an ID token this provider issued' };
  // §2: with both, the client_id must be the hint's audience.
  if (hint && params.client_id && params.client_id !== hint.aud) return { step: 'error', description: 'client_id is not the app the id_token_hint was issued to' };
  const clientId = params.client_id ?? hint?.aud;
  const client = clientId ? await ctx.store.clients.find(clientId) : undefined;
  if (clientId && !client) return { step: 'error', description: 'client_id names no app' };

  let redirect: string | undefined;
  if (params.post_logout_redirect_uri !== undefined) {
    // §3: only a URI registered for the app the request names, compared exactly.
    if (!client) return { step: 'error', description: 'post_logout_redirect_uri needs client_id or id_token_hint, to know whose it is' };
    if (!(client.postLogoutRedirectUris ?? []).includes(params.post_logout_redirect_uri)) {
      return { step: 'error', description: 'post_logout_redirect_uri is not registered for this app' };
    }
    redirect = withState(params.post_logout_redirect_uri, params.state);
  }

  const found = { ...(redirect ? { redirect } : {}), ...(client ? { client } : {}) };
  if (signedInUserId === null) return { step: 'logout', ...found };
  // The hint names the person as the app knows them (../subject.ts): by its pairwise subject, if it has them.
  if (hint && client && hint.sub === subjectOf(ctx, client, signedInUserId)) return { step: 'logout', ...found };
  return { step: 'confirm', ...found };
}

function withState(uri: string, state: string | undefined): string {
  if (state === undefined) return uri;
  const url = new URL(uri);
  url.searchParams.set('state', state);
  return url.toString();
}
