import { escapeHtml as e, type ConnectIdentity, type ConnectUser } from '../connect/index.ts';

// The demo website's pages: deliberately plain HTML.

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(title)} · Grantry demo site</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}form{margin:.5rem 0}label{display:block;margin:.25rem 0}
button{padding:.3rem .8rem}.providers form{display:inline-block;margin-right:.5rem}.error{color:#a00}img{vertical-align:middle;border-radius:50%}</style>
</head><body><header><a href="/">Grantry demo site</a> · <a href="/spa">single-page version</a></header><main>${body}</main></body></html>`;
}

function providerButtons(providers: Array<{ id: string; name: string }>, link: boolean): string {
  return `<div class="providers">${providers
    .map((p) => `<form method="post" action="/auth/${e(p.id)}/login">${link ? '<input type="hidden" name="link" value="1">' : ''}<button type="submit">${link ? 'Bind' : 'Log in with'} ${e(p.name)}</button></form>`)
    .join('')}</div>`;
}

export function homePage(providers: Array<{ id: string; name: string }>, user: ConnectUser | undefined): string {
  if (user) return layout('Home', `<h1>Hello, ${e(user.displayName)}</h1><p><a href="/account">Your account</a></p>`);
  return layout(
    'Home',
    `<h1>Welcome</h1>
<h2>Log in</h2>${providerButtons(providers, false)}
<form method="post" action="/auth/local/login"><label>Username <input name="username" required></label>
<label>Password <input name="password" type="password" required></label><button>Log in</button></form>
<h2>Register</h2>
<form method="post" action="/auth/local/register"><label>Username <input name="username" required></label>
<label>Display name <input name="displayName"></label><label>Password <input name="password" type="password" required minlength="8"></label><button>Create account</button></form>`,
  );
}

export function accountPage(user: ConnectUser, identities: ConnectIdentity[], providers: Array<{ id: string; name: string }>): string {
  const name = (id: string) => providers.find((p) => p.id === id)?.name ?? id;
  const bound = identities
    .map((identity) => `<li>${identity.profile.avatar ? `<img src="${e(identity.profile.avatar)}" width="24" height="24" alt=""> ` : ''}<strong>${e(name(identity.provider))}</strong>: ${e(identity.profile.name ?? identity.subject)}${identity.profile.email ? ` &lt;${e(identity.profile.email)}&gt;` : ''}
<form method="post" action="/auth/unbind" style="display:inline"><input type="hidden" name="identity" value="${e(identity.id)}"><button>Unbind</button></form></li>`)
    .join('');
  const unbound = providers.filter((p) => !identities.some((i) => i.provider === p.id));
  return layout(
    'Account',
    `<h1>${e(user.displayName)}</h1>
<p>Username: ${e(user.username)}${user.email ? ` · Email: ${e(user.email)}` : ''} · ${user.passwordHash ? 'has a password' : 'no password (logs in through providers only)'}</p>
<h2>Bound logins</h2>${bound ? `<ul>${bound}</ul>` : '<p>None yet.</p>'}
${unbound.length ? `<h2>Bind another</h2>${providerButtons(unbound, true)}` : ''}
<form method="post" action="/auth/logout"><button>Log out</button></form>`,
  );
}

export function spaPage(providers: Array<{ id: string; name: string }>): string {
  return layout(
    'Single-page version',
    `<h1>Single-page version</h1><p>This page talks to the back end in JSON: it never sees a provider's token, only this site's own.</p>
<div id="buttons">${providers.map((p) => `<button data-provider="${e(p.id)}">Log in with ${e(p.name)}</button>`).join(' ')}</div>
<p id="status" role="status"></p>
<form id="register" hidden><h2>Create a new account</h2><label>Username <input name="username" required></label><label>Display name <input name="displayName"></label><button>Create and bind</button></form>
<form id="bind" hidden><h2>Bind to an account I have</h2><label>Username <input name="username" required></label><label>Password <input name="password" type="password" required></label><button>Log in and bind</button></form>
<pre id="me"></pre>
<script type="module" src="/spa.js"></script>`,
  );
}

export const spaScript = `import { startLogin, completeLogin, finishWithTicket, renew } from '/connect/browser.js';
const api = '/api/auth';
const status = document.getElementById('status');
let accessToken = null;
let ticket = null;

async function show(answer) {
  if (answer.status === 'pending') {
    ticket = answer.ticket;
    status.textContent = 'Logged in at ' + answer.provider + (answer.profile.name ? ' as ' + answer.profile.name : '') + '; this site does not know you yet.';
    document.getElementById('register').hidden = false;
    document.getElementById('bind').hidden = false;
    return;
  }
  accessToken = answer.accessToken;
  // Off /spa/callback once signed in, to where the login started (a reload there would find no login to finish).
  if (answer.returnTo && location.pathname === '/spa/callback') history.replaceState(null, '', answer.returnTo);
  document.getElementById('register').hidden = true;
  document.getElementById('bind').hidden = true;
  status.textContent = 'Signed in as ' + answer.user.displayName + ' (token valid ' + answer.expiresIn + ' s).';
  const me = await fetch(api + '/me', { headers: { authorization: 'Bearer ' + accessToken } });
  document.getElementById('me').textContent = JSON.stringify(await me.json(), null, 2);
}

for (const button of document.querySelectorAll('[data-provider]')) {
  button.addEventListener('click', () => startLogin(api, button.dataset.provider, { returnTo: '/spa' }).catch((e) => (status.textContent = e.message)));
}
for (const action of ['register', 'bind']) {
  document.getElementById(action).addEventListener('submit', async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(event.target));
    try { await show(await finishWithTicket(api, action, { ...fields, ticket })); } catch (e) { status.textContent = e.message; }
  });
}
try {
  if (location.pathname === '/spa/callback') await show(await completeLogin(api));
  else await show(await renew(api));
} catch (e) {
  status.textContent = e.status === 401 ? 'Not signed in.' : e.message;
}
`;
