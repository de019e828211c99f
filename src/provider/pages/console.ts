import type { AppType } from '../../config/defaults.ts';
import type { Client } from '../../store/index.ts';
import { csrfField, formatDate, html, layout, type Html } from './html.ts';

// The developer console: the list of one's apps, the registration form, and an app's page with
// its basic information (App Key, App Secret) and its advanced settings (redirect URIs, scopes,
// PKCE, implicit grant, token format). Pure functions of their data.

type Viewer = { username: string };

/** Each app type in plain words: who runs the code, and so whether it can keep a secret. */
export const appTypeChoices: { type: AppType; label: string; explanation: string }[] = [
  {
    type: 'web',
    label: 'Web app with a server',
    explanation: 'Your code runs on your own server, where a secret stays secret. It gets an App Secret (confidential).',
  },
  {
    type: 'spa',
    label: 'Browser app (single-page app)',
    explanation: 'All of your code runs in the visitor’s browser, where anyone can read it. No App Secret (public); PKCE protects it instead.',
  },
  {
    type: 'native',
    label: 'Mobile or desktop app',
    explanation: 'Installed on people’s devices, where a secret could be dug out of the app. No App Secret (public); PKCE protects it instead.',
  },
  {
    type: 'service',
    label: 'Service (machine to machine)',
    explanation: 'A backend that calls APIs for itself, with no person signing in. It gets an App Secret (confidential) and uses client credentials.',
  },
];

const typeLabel = (type: AppType) => appTypeChoices.find((choice) => choice.type === type)?.label ?? type;
const isPublicType = (type: AppType) => type === 'spa' || type === 'native';

export function consolePage(view: { user: Viewer; csrf: string; apps: { client: Client; users: number }[] }): string {
  const rows = view.apps.map(
    ({ client, users }) => html`<tr>
<td><a href="/console/apps/${client.id}">${client.name}</a></td>
<td>${typeLabel(client.appType)}</td>
<td><code>${client.id}</code></td>
<td>${users}</td>
</tr>`,
  );
  return layout({
    title: 'Developer console',
    user: view.user,
    csrf: view.csrf,
    body: html`<p>Register an app to let its users log in with their account here. Each app gets an App Key
(its <code>client_id</code>) and, if it runs on a server, an App Secret.</p>
<p><a href="/console/apps/new"><strong>Register an app</strong></a></p>
${
  view.apps.length === 0
    ? html`<p class="muted">You have no apps yet.</p>`
    : html`<table><thead><tr><th>App</th><th>Type</th><th>App Key</th><th>Users who allowed it</th></tr></thead>
<tbody>${rows}</tbody></table>`
}`,
  });
}

export interface NewAppValues {
  name: string;
  description: string;
  homepage: string;
  appType: string;
  redirectUris: string;
}

export function newAppPage(view: { user: Viewer; csrf: string; values: NewAppValues; error?: string }): string {
  const { values } = view;
  const choices = appTypeChoices.map(
    (choice) => html`<div><input type="radio" name="app_type" id="type-${choice.type}" value="${choice.type}"${
      values.appType === choice.type ? html` checked` : ''
    } required>
<label for="type-${choice.type}" style="display:inline">${choice.label}</label>
<p class="muted" style="margin:0 0 .5rem 1.5rem">${choice.explanation}</p></div>`,
  );
  return layout({
    title: 'Register an app',
    user: view.user,
    csrf: view.csrf,
    body: html`${errorBox(view.error)}
<form method="post" action="/console/apps/new">
${csrfField(view.csrf)}
<label for="name">Name</label>
<input type="text" id="name" name="name" value="${values.name}" maxlength="100" required>
<p class="muted">People see it when your app asks for their permission.</p>
<label for="description">Description</label>
<textarea id="description" name="description" rows="2" maxlength="1000">${values.description}</textarea>
<label for="homepage">Homepage</label>
<input type="url" id="homepage" name="homepage" value="${values.homepage}" placeholder="https://app.example">
<fieldset style="margin-top:1rem"><legend><strong>App type</strong></legend>${choices}</fieldset>
<label for="redirect_uris">Redirect URIs (callback URLs), one per line</label>
<textarea id="redirect_uris" name="redirect_uris" rows="3" placeholder="https://app.example/callback">${values.redirectUris}</textarea>
<p class="muted">Where people are sent back after they allow your app: https, or http on localhost / 127.0.0.1; no <code>#fragment</code>.
A service app needs none.</p>
<button type="submit" class="primary">Register</button>
</form>`,
  });
}

export interface AppView {
  user: Viewer;
  csrf: string;
  /** As stored. */
  client: Client;
  /** What the forms show: the stored app, or what was just entered when it was refused. */
  draft?: Client;
  authorizedUsers: number;
  /** scope name → what it lets an app see */
  scopes: Record<string, string>;
  /** A secret in plain, right after it was made: shown on this one response only. */
  newSecret?: string;
  notice?: string;
  error?: string;
}

export function appPage(view: AppView): string {
  const { client } = view;
  return layout({
    title: client.name,
    user: view.user,
    csrf: view.csrf,
    body: html`<p><a href="/console">← All your apps</a></p>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${errorBox(view.error)}
${view.newSecret ? secretBox(view.newSecret) : ''}
${basicInfo(view)}
${isPublicType(client.appType) ? '' : rotateForm(view)}
${basicForm(view)}
${advancedForm(view)}`,
  });
}

function errorBox(error: string | undefined): Html | '' {
  return error ? html`<p class="error" role="alert">${error}</p>` : '';
}

function secretBox(secret: string): Html {
  return html`<div class="warning" role="alert">
<p><strong>Your App Secret:</strong></p>
<p class="secret"><code id="app-secret">${secret}</code></p>
<p><strong>Copy it now: it will not be shown again.</strong> Grantry keeps only a hash of it. Store it where your
server reads its configuration, never in code people can see. If you lose it, rotate it to get a new one.</p>
</div>`;
}

function basicInfo(view: AppView): Html {
  const { client } = view;
  const secret = isPublicType(client.appType)
    ? html`<span class="muted">none: a ${typeLabel(client.appType).toLowerCase()} is public and cannot keep one</span>`
    : html`<span class="muted">hidden (shown once, when it was made)</span>`;
  return html`<h2>Basic information</h2>
<table>
<tr><th>App Key (client_id)</th><td><code id="app-key">${client.id}</code></td></tr>
<tr><th>App Secret</th><td>${secret}</td></tr>
<tr><th>Type</th><td>${typeLabel(client.appType)}</td></tr>
<tr><th>Name</th><td>${client.name}</td></tr>
<tr><th>Description</th><td>${client.description || html`<span class="muted">none</span>`}</td></tr>
<tr><th>Homepage</th><td>${client.homepage || html`<span class="muted">none</span>`}</td></tr>
<tr><th>Users who allowed it</th><td>${view.authorizedUsers}</td></tr>
<tr><th>Grant types</th><td>${client.grantTypes.join(', ')}</td></tr>
<tr><th>First-party (trusted)</th><td>${client.trusted ? 'yes' : 'no'} <span class="muted">(only an operator changes this, with the command line)</span></td></tr>
<tr><th>Registered</th><td>${formatDate(client.createdAt)}</td></tr>
</table>`;
}

function rotateForm(view: AppView): Html {
  return html`<form method="post" action="/console/apps/${view.client.id}/rotate-secret">
${csrfField(view.csrf)}
<button type="submit">Rotate secret</button>
<span class="muted">Makes a new App Secret; the current one stops working at once.</span>
</form>`;
}

function basicForm(view: AppView): Html {
  const draft = view.draft ?? view.client;
  return html`<h2>Edit basic information</h2>
<form method="post" action="/console/apps/${view.client.id}/basic">
${csrfField(view.csrf)}
<label for="name">Name</label>
<input type="text" id="name" name="name" value="${draft.name}" maxlength="100" required>
<label for="description">Description</label>
<textarea id="description" name="description" rows="2" maxlength="1000">${draft.description}</textarea>
<label for="homepage">Homepage</label>
<input type="url" id="homepage" name="homepage" value="${draft.homepage}">
<button type="submit">Save basic information</button>
</form>`;
}

function advancedForm(view: AppView): Html {
  const { client } = view;
  const draft = view.draft ?? client;
  const publicApp = isPublicType(client.appType);
  const scopeBoxes = Object.entries(view.scopes).map(
    ([name, words]) => html`<div><input type="checkbox" name="scopes" id="scope-${name}" value="${name}"${draft.scopes.includes(name) ? html` checked` : ''}>
<label for="scope-${name}" style="display:inline"><code>${name}</code>: ${words}</label></div>`,
  );
  const pkce = publicApp
    ? html`<div><input type="checkbox" id="pkce_required" checked disabled>
<label for="pkce_required" style="display:inline">Require PKCE</label>
<p class="muted">Always on for public apps: PKCE is what keeps a stolen authorization code useless.</p></div>`
    : html`<div><input type="checkbox" name="pkce_required" id="pkce_required" value="1"${draft.pkceRequired ? html` checked` : ''}>
<label for="pkce_required" style="display:inline">Require PKCE</label>
<p class="muted">Turn it off only for an older app that cannot send a <code>code_challenge</code>.</p></div>`;
  return html`<h2>Advanced settings</h2>
<form method="post" action="/console/apps/${client.id}/advanced">
${csrfField(view.csrf)}
<label for="redirect_uris">Redirect URIs (callback URLs), one per line</label>
<textarea id="redirect_uris" name="redirect_uris" rows="3">${draft.redirectUris.join('\n')}</textarea>
<p class="muted">https, or http on localhost / 127.0.0.1 / [::1]; no <code>#fragment</code>. A request must name one of them exactly.</p>
<fieldset><legend><strong>Allowed scopes</strong></legend>${scopeBoxes}</fieldset>
${pkce}
${client.appType === 'spa' ? implicitChoice(draft) : ''}
<label for="token_format">Access-token format</label>
<select id="token_format" name="token_format">
<option value="jwt"${draft.tokenFormat === 'jwt' ? html` selected` : ''}>JWT (signed; APIs can check it themselves)</option>
<option value="opaque"${draft.tokenFormat === 'opaque' ? html` selected` : ''}>Opaque (a random string; APIs ask the introspection endpoint)</option>
</select>
<button type="submit" class="primary">Save advanced settings</button>
</form>`;
}

function implicitChoice(draft: Client): Html {
  return html`<div><input type="checkbox" name="implicit" id="implicit" value="1"${draft.grantTypes.includes('implicit') ? html` checked` : ''}>
<label for="implicit" style="display:inline">Allow the implicit grant (legacy)</label>
<div class="warning"><p><strong>Not recommended.</strong> With the implicit grant the access token is put in the URL
fragment of the redirect, where it can end up in the browser history, leak through referrers and be read by any script
on the page; and there is no refresh token, so people are sent through the login again when it expires.
Use the authorization-code flow with PKCE instead: it works in the browser without a secret and never puts a token in a URL.</p></div></div>`;
}
