// grantry/connect in the browser: a small ES module with no dependencies, served as it is.
//
// The implicit flow (a token in the URL fragment) for front ends that talk to a provider directly,
// and two helpers for the recommended way, where the site's back end does the OAuth work and the
// front end only carries code and state to it (see ./core.ts, the JSON routes).

const stateKey = 'grantry.connect.implicit.state';
const providerKey = 'grantry.connect.provider';

function randomState(crypto = globalThis.crypto) {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Sends the browser to the provider for a token in the fragment. The state stays in this tab's
 * sessionStorage: a response this tab did not ask for is refused.
 */
export function startImplicitLogin({ authorizationEndpoint, clientId, redirectUri, scope = '', env = globalThis }) {
  const state = randomState(env.crypto);
  env.sessionStorage.setItem(stateKey, state);
  const url = new URL(authorizationEndpoint);
  url.search = new URLSearchParams({ response_type: 'token', client_id: clientId, redirect_uri: redirectUri, scope, state }).toString();
  env.location.assign(url.href);
}

/**
 * Reads an implicit-flow response from the fragment. The fragment is cleared first, whatever
 * follows, so that the token stays neither in the address bar nor in the history. Returns null
 * when there is no response to read.
 */
export function readImplicitResponse({ env = globalThis } = {}) {
  const { location, history, sessionStorage } = env;
  const fragment = location.hash.replace(/^#/, '');
  if (!fragment) return null;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  const params = new URLSearchParams(fragment);
  const expected = sessionStorage.getItem(stateKey);
  sessionStorage.removeItem(stateKey);
  if (!expected || params.get('state') !== expected) throw new Error('This login response was not requested by this page (state mismatch).');
  if (params.get('error')) throw new Error(`The provider refused: ${params.get('error_description') || params.get('error')}`);
  const accessToken = params.get('access_token');
  if (!accessToken) throw new Error('The provider sent no access token.');
  const expiresIn = Number(params.get('expires_in'));
  return {
    accessToken,
    tokenType: params.get('token_type') || 'Bearer',
    expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? Date.now() + expiresIn * 1000 : null,
    scope: params.get('scope'),
  };
}

async function postJson(fetchImpl, url, data) {
  const response = await fetchImpl(url, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.message || `HTTP ${response.status}`), { code: body.error, status: response.status });
  return body;
}

/** The API way, step one: the back end makes the authorization URL and binds its state to this browser. */
export async function startLogin(apiBase, provider, { returnTo, env = globalThis } = {}) {
  const { url } = await postJson(env.fetch.bind(env), `${apiBase}/${provider}/authorize`, { returnTo });
  env.sessionStorage.setItem(providerKey, provider);
  env.location.assign(url);
}

/**
 * The API way, step two, on the redirect page: carries code, state and iss to the back end and
 * clears them from the address bar. Answers the back end's JSON: signed_in (with the site's own
 * access token) or pending (with a binding ticket).
 */
export async function completeLogin(apiBase, { env = globalThis } = {}) {
  const { location, history, sessionStorage } = env;
  const params = new URLSearchParams(location.search);
  history.replaceState(history.state, '', location.pathname);
  const provider = sessionStorage.getItem(providerKey);
  sessionStorage.removeItem(providerKey);
  if (!provider) throw new Error('No login was started from this tab.');
  const answer = {};
  for (const name of ['code', 'state', 'iss', 'error']) if (params.get(name)) answer[name] = params.get(name);
  return postJson(env.fetch.bind(env), `${apiBase}/${provider}/callback`, answer);
}

/** register-and-bind or log-in-and-bind with a pending ticket. */
export function finishWithTicket(apiBase, action, fields, { env = globalThis } = {}) {
  return postJson(env.fetch.bind(env), `${apiBase}/${action === 'bind' ? 'bind' : 'register'}`, fields);
}

/** A fresh access token from the site's session cookie. */
export function renew(apiBase, { env = globalThis } = {}) {
  return postJson(env.fetch.bind(env), `${apiBase}/renew`, {});
}
