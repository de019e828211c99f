// The demo's single-page version: the site's back end does the OAuth work (grantry/connect's JSON
// routes); this page only carries code and state to it, and holds the site's own short-lived token.
import { startLogin, completeLogin, finishWithTicket, renew } from '/connect/browser.js';

const api = '/api/auth';
const messages = JSON.parse(document.getElementById('messages').textContent);
const say = (key, params = {}) => messages[key].replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
const status = document.getElementById('status');
const providerNames = Object.fromEntries([...document.querySelectorAll('[data-provider]')].map((b) => [b.dataset.provider, b.dataset.name]));
let ticket = null;

async function show(answer) {
  if (answer.status === 'pending') {
    ticket = answer.ticket;
    const provider = providerNames[answer.provider] ?? answer.provider;
    status.textContent = say('demo.spa.pending', { provider, name: answer.profile.name ?? '' });
    document.getElementById('register').hidden = false;
    document.getElementById('bind').hidden = false;
    return;
  }
  // Off /spa/callback once signed in, to where the login started (a reload there would find no login to finish).
  if (answer.returnTo && location.pathname === '/spa/callback') history.replaceState(null, '', answer.returnTo);
  document.getElementById('register').hidden = true;
  document.getElementById('bind').hidden = true;
  status.textContent = say('demo.spa.signedIn', { name: answer.user.displayName, seconds: answer.expiresIn });
  const me = await fetch(api + '/me', { headers: { authorization: 'Bearer ' + answer.accessToken } });
  document.getElementById('me').textContent = JSON.stringify(await me.json(), null, 2);
}

for (const button of document.querySelectorAll('[data-provider]')) {
  button.addEventListener('click', () => startLogin(api, button.dataset.provider, { returnTo: '/spa' }).catch((e) => (status.textContent = e.message)));
}
for (const action of ['register', 'bind']) {
  document.getElementById(action).addEventListener('submit', async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(event.target));
    try {
      await show(await finishWithTicket(api, action, { ...fields, ticket }));
    } catch (e) {
      status.textContent = e.message;
    }
  });
}
try {
  if (location.pathname === '/spa/callback') await show(await completeLogin(api));
  else await show(await renew(api));
} catch (e) {
  status.textContent = e.status === 401 ? say('demo.spa.notSignedIn') : e.message;
}
