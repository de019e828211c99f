import { safeEqual, sha256 } from '../lib/crypto.ts';
import type { ConnectLoginState, ConnectOperations } from './storage.ts';
import { createAuthorizationRequest } from './client/authorize.ts';
import type { CallbackParams } from './client/callback.ts';
import { ConnectError } from './client/errors.ts';
import { completeAuthorization, type CompletedAuthorization } from './client/index.ts';
import type { Provider } from './client/types.ts';

// The state, PKCE verifier and nonce of a login in flight live on the server, keyed by the hash of
// the state, beside the hash of the browser id that started it: a callback is accepted once, for
// the provider it was made for, in that browser, within ten minutes.

export const loginStateLifetime = 10 * 60;
const now = () => Math.floor(Date.now() / 1000);

export interface BeginLogin {
  browserHash: string;
  redirectUri: string;
  returnTo: string | null;
  linkUserId: string | null;
}

export async function beginLogin(store: ConnectOperations, provider: Provider, input: BeginLogin): Promise<string> {
  const request = createAuthorizationRequest(provider, { redirectUri: input.redirectUri });
  const at = now();
  await store.saveLoginState({
    stateHash: sha256(request.state),
    browserHash: input.browserHash,
    provider: provider.id,
    codeVerifier: request.codeVerifier,
    nonce: request.nonce,
    redirectUri: input.redirectUri,
    returnTo: input.returnTo,
    linkUserId: input.linkUserId,
    createdAt: at,
    expiresAt: at + loginStateLifetime,
  });
  return request.url;
}

/** Takes the state out of the store first, so that whatever fails next, it cannot be tried again. */
async function takeState(store: ConnectOperations, params: CallbackParams): Promise<ConnectLoginState> {
  const state = params.state;
  if (!state) throw new ConnectError('missing_state', 'the callback has no state');
  const record = await store.takeLoginState(sha256(state));
  if (!record) throw new ConnectError('unknown_state', 'this login was already completed, has expired, or was not started here');
  return record;
}

function checkStateBinding(record: ConnectLoginState, provider: Provider, browserHash: string | null): void {
  // A state made for one provider must not complete a login at another (mix-up, next-auth's advisory).
  if (record.provider !== provider.id) throw new ConnectError('provider_mismatch', `this login was started with ${record.provider}, not ${provider.id}`);
  if (!browserHash || !safeEqual(record.browserHash, browserHash)) throw new ConnectError('browser_mismatch', 'this login was started in another browser');
  if (record.expiresAt <= now()) throw new ConnectError('expired_state', 'this login took more than ten minutes; please start again');
}

export async function finishLogin(
  store: ConnectOperations,
  provider: Provider,
  input: { params: CallbackParams; browserHash: string | null },
): Promise<{ completed: CompletedAuthorization; state: ConnectLoginState }> {
  const state = await takeState(store, input.params);
  checkStateBinding(state, provider, input.browserHash);
  const completed = await completeAuthorization(provider, input.params, { codeVerifier: state.codeVerifier, nonce: state.nonce, redirectUri: state.redirectUri });
  return { completed, state };
}
