// The demo's browser-only version: no back end of its own. The implicit flow (its app opted in at
// the provider) puts a token in the fragment; the page reads it, checks the state, clears the
// address bar, and calls the provider's /api/me from the browser (the provider answers with CORS).
import { readImplicitResponse, startImplicitLogin } from '/connect/browser.js';

const config = document.getElementById('config').dataset;
const messages = JSON.parse(document.getElementById('messages').textContent);
const say = (key, params = {}) => messages[key].replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
const status = document.getElementById('status');
const issuer = config.issuer.replace(/\/$/, '');

document.getElementById('implicit-login').addEventListener('click', async () => {
  try {
    const metadata = await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json();
    startImplicitLogin({ authorizationEndpoint: metadata.authorization_endpoint, clientId: config.clientId, redirectUri: location.origin + location.pathname, scope: 'profile email' });
  } catch (e) {
    status.textContent = say('demo.implicit.failed', { reason: e.message });
  }
});

const denied = new URLSearchParams(location.hash.slice(1)).get('error') === 'access_denied';
try {
  const response = readImplicitResponse();
  if (response) {
    const seconds = response.expiresAt ? Math.round((response.expiresAt - Date.now()) / 1000) : '?';
    status.textContent = say('demo.implicit.signedIn', { provider: config.provider, seconds });
    const me = await fetch(`${issuer}/api/me`, { headers: { authorization: `Bearer ${response.accessToken}` } });
    if (!me.ok) throw new Error(`/api/me: HTTP ${me.status}`);
    document.getElementById('me').textContent = JSON.stringify(await me.json(), null, 2);
    document.getElementById('profile').hidden = false;
  }
} catch (e) {
  status.textContent = denied ? say('demo.error.access_denied') : say('demo.implicit.failed', { reason: e.message });
}
