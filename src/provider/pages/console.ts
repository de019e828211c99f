import { appTypes, type AppType } from '../../config/defaults.ts';
import { t, type MessageKey, type Params } from '../../i18n/index.ts';
import type { Client } from '../storage.ts';
import { appTypeKeys } from './consent.ts';
import { csrfField, formatDate, html, layout, rich, type Html, type PageBasics } from './html.ts';
import { scopeWords } from './scopes.ts';

// The developer console (the seed's developer platform): the list of one's apps, the registration
// form, and an app's page with its basic information (App Key, App Secret), its usage, and its
// advanced settings (callback URLs, scopes, PKCE, grants, token format). Pure functions of their data.

type Viewer = { username: string };
type Words = (key: MessageKey, params?: Params) => string;
const wordsOf = (view: PageBasics): Words => (key, params) => t(view.locale, key, params);

const isPublicType = (type: AppType) => type === 'spa' || type === 'native';
const typeLabel = (m: Words, type: AppType) => (appTypeKeys[type] ? m(appTypeKeys[type].label) : type);

/** A refused form: what is wrong, and (for the callback URLs) which field. */
export interface FormProblem {
  message: string;
  field?: 'redirect_uris' | 'post_logout_redirect_uris' | 'backchannel_logout_uri' | 'subject_type' | 'name' | 'homepage' | 'description' | 'scopes';
}

export function consolePage(view: PageBasics & { user: Viewer; apps: { client: Client; users: number }[]; notice?: string; operator?: boolean }): string {
  const m = wordsOf(view);
  const rows = view.apps.map(
    ({ client, users }) => html`<tr data-testid="app-row">
<td data-label="${m('console.col.app')}"><a href="/console/apps/${client.id}">${client.name}</a></td>
<td data-label="${m('console.col.type')}">${typeLabel(m, client.appType)}</td>
<td data-label="${m('console.col.key')}"><code>${client.id}</code></td>
<td data-label="${m('console.col.users')}">${users}</td>
</tr>`,
  );
  return layout({
    ...view,
    title: m('console.title'),
    body: html`${view.notice ? html`<p class="box notice" role="status" data-testid="notice">${view.notice}</p>` : ''}
<p>${m('console.intro')}</p>
<p><a class="button primary" href="/console/apps/new">${m('console.registerLink')}</a>${view.operator ? html` <a class="button" href="/console/operator" data-testid="operator-link">${m('console.operatorLink')}</a>` : ''}</p>
<h2>${m('console.yourApps')}</h2>
${
  view.apps.length === 0
    ? html`<p class="muted" data-testid="no-apps">${m('console.none')}</p>`
    : html`<table class="apps"><thead><tr><th scope="col">${m('console.col.app')}</th><th scope="col">${m('console.col.type')}</th><th scope="col">${m('console.col.key')}</th><th scope="col">${m('console.col.users')}</th></tr></thead>
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

export function newAppPage(view: PageBasics & { user: Viewer; values: NewAppValues; problem?: FormProblem }): string {
  const { values, problem } = view;
  const m = wordsOf(view);
  const choices = appTypes.map(
    (type) => html`<div class="choice"><input type="radio" name="app_type" id="type-${type}" value="${type}"${
      values.appType === type ? html` checked` : ''
    } required aria-describedby="type-${type}-hint">
<label class="inline" for="type-${type}">${m(appTypeKeys[type].label)}</label>
<p class="hint" id="type-${type}-hint">${m(appTypeKeys[type].explanation)}</p></div>`,
  );
  return layout({
    ...view,
    title: m('newApp.title'),
    body: html`${problemBox(problem)}
<form method="post" action="/console/apps/new" class="card">
${csrfField(view.csrf)}
<label for="name">${m('field.appName')}</label>
<input type="text" id="name" name="name" value="${values.name}" maxlength="100" required aria-describedby="name-hint">
<p class="hint" id="name-hint">${m('newApp.nameHint')}</p>
<label for="description">${m('field.description')}</label>
<textarea id="description" name="description" rows="2" maxlength="1000">${values.description}</textarea>
<label for="homepage">${m('field.homepage')}</label>
<input type="url" id="homepage" name="homepage" value="${values.homepage}" placeholder="https://app.example">
<fieldset><legend>${m('newApp.type')}</legend>${choices}</fieldset>
${callbackField(m, values.redirectUris, problem, true)}
<button type="submit" class="primary">${m('newApp.submit')}</button>
</form>`,
  });
}

function problemBox(problem: FormProblem | undefined): Html | '' {
  return problem ? html`<p class="box error" role="alert" data-testid="error">${problem.message}</p>` : '';
}

/** The callback-URL editor: one per line, with the server's verdict next to it and live hints from grantry.js. */
function callbackField(m: Words, value: string, problem: FormProblem | undefined, forNew: boolean): Html {
  const invalid = problem?.field === 'redirect_uris';
  return html`<label for="redirect_uris">${m('field.callbackUrls')}</label>
<textarea id="redirect_uris" name="redirect_uris" rows="3" placeholder="https://app.example/callback" spellcheck="false" autocapitalize="off"
  aria-describedby="redirect_uris-hint${invalid ? ' redirect_uris-error' : ''}"${invalid ? html` aria-invalid="true"` : ''}>${value}</textarea>
${invalid ? html`<p class="field-error" id="redirect_uris-error" data-testid="redirect_uris-error">${problem!.message}</p>` : ''}
<p class="field-error" id="redirect_uris-live" aria-live="polite" data-message="${m('callback.liveHint')}"></p>
<p class="hint" id="redirect_uris-hint">${m('callback.hint')}${forNew ? html` ${m('callback.serviceNone')}` : ''}</p>`;
}

export interface AppView extends PageBasics {
  user: Viewer;
  /** As stored. */
  client: Client;
  /** What the forms show: the stored app, or what was just entered when it was refused. */
  draft?: Client;
  authorizedUsers: number;
  /** Tokens issued in the last 24 hours; undefined when the audit trail cannot say. */
  tokensLastDay?: number;
  /** scope name → what it lets an app see, as configured */
  scopes: Record<string, string>;
  /** A secret in plain, right after it was made: shown on this one response only. */
  newSecret?: string;
  notice?: string;
  problem?: FormProblem;
  /** Set when the sign-in is too old for the sensitive changes (see sensitiveChanges): how recent it must be. */
  signInAgain?: { minutes: number };
}

export function appPage(view: AppView): string {
  const { client } = view;
  const m = wordsOf(view);
  return layout({
    ...view,
    title: client.name,
    body: html`<p><a href="/console">${m('app.back')}</a></p>
${view.notice ? html`<p class="box notice" role="status" data-testid="notice">${view.notice}</p>` : ''}
${view.problem?.field === 'redirect_uris' ? '' : problemBox(view.problem)}
${view.newSecret ? secretDialog(m, view.newSecret) : ''}
${basicInfo(m, view)}
${usage(m, view)}
${basicForm(m, view)}
${advancedForm(m, view)}
<section class="card" aria-labelledby="delete-heading">
<h2 id="delete-heading">${m('delete.heading')}</h2>
<p>${m('delete.explain')}</p>
<p><a class="button danger" href="/console/apps/${client.id}/delete" data-testid="delete-link">${m('delete.link')}</a></p>
</section>`,
  });
}

export interface DeleteAppView extends PageBasics {
  user: Viewer;
  client: Client;
  authorizedUsers: number;
  problem?: string;
  signInAgain?: { minutes: number };
}

/** Deleting an app: what goes with it, and the app's name typed again to confirm. */
export function deleteAppPage(view: DeleteAppView): string {
  const { client } = view;
  const m = wordsOf(view);
  return layout({
    ...view,
    title: m('delete.title', { app: client.name }),
    body: html`<p><a href="/console/apps/${client.id}">${m('app.backToApp')}</a></p>
${view.problem ? html`<p class="box error" role="alert" data-testid="error">${view.problem}</p>` : ''}
${signInAgainHint(view)}
<section class="card warning" aria-labelledby="delete-what">
<h2 id="delete-what">${m('delete.what')}</h2>
<ul>
<li data-testid="delete-users">${m('delete.users', { count: view.authorizedUsers })}</li>
<li>${m('delete.tokens')}</li>
<li>${m('delete.key', { key: client.id })}</li>
</ul>
</section>
<form method="post" action="/console/apps/${client.id}/delete" class="card">
${csrfField(view.csrf)}
<label for="confirm_name">${m('delete.confirm', { app: client.name })}</label>
<input type="text" id="confirm_name" name="confirm_name" required autocomplete="off" spellcheck="false">
<button type="submit" class="danger">${m('delete.button')}</button>
</form>`,
  });
}

/**
 * The copy-once dialog. An open <dialog> shows without any script, and its "done" button closes it
 * through method="dialog", also without script; grantry.js only adds the copy button.
 */
function secretDialog(m: Words, secret: string): Html {
  return html`<dialog open class="secret" aria-labelledby="secret-title" data-testid="secret-dialog">
<h2 id="secret-title">${m('secret.title')}</h2>
<p><code class="secret-value" id="app-secret" data-testid="app-secret">${secret}</code></p>
<p class="actions"><button type="button" data-copy="app-secret" data-copied="${m('copy.done')}" data-copy-failed="${m('copy.failed')}" hidden>${m('secret.copy')}</button>
<span id="app-secret-status" role="status"></span></p>
<p><strong>${m('secret.once')}</strong> ${m('secret.explain')}</p>
<form method="dialog"><button type="submit" class="primary">${m('secret.done')}</button></form>
</dialog>`;
}

function basicInfo(m: Words, view: AppView): Html {
  const { client } = view;
  const secret = isPublicType(client.appType)
    ? html`<span class="muted">${m('app.secretNone')}</span>`
    : html`<span class="muted">${m('app.secretHidden')}</span>`;
  return html`<section class="card" aria-labelledby="basic-heading">
<h2 id="basic-heading">${m('app.basic')}</h2>
<dl class="facts">
<dt>App Key <span class="muted">(client_id)</span></dt>
<dd><code class="key" id="app-key" data-testid="app-key">${client.id}</code>
<button type="button" data-copy="app-key" data-copied="${m('copy.done')}" data-copy-failed="${m('copy.failed')}" hidden>${m('app.copyKey')}</button>
<span id="app-key-status" role="status"></span></dd>
<dt>App Secret <span class="muted">(client_secret)</span></dt><dd data-testid="app-secret-status">${secret}</dd>
<dt>${m('app.type')}</dt><dd data-testid="app-type">${typeLabel(m, client.appType)}<br><span class="hint">${m(appTypeKeys[client.appType].explanation)}</span></dd>
<dt>${m('app.trusted')}</dt><dd>${client.trusted ? m('common.yes') : m('common.no')} <span class="muted">${m('app.trustedHint')}</span></dd>
<dt>${m('app.registered')}</dt><dd>${formatDate(client.createdAt)}</dd>
</dl>
${isPublicType(client.appType) ? '' : rotateForm(m, view)}
</section>`;
}

function rotateForm(m: Words, view: AppView): Html {
  return html`<form method="post" action="/console/apps/${view.client.id}/rotate-secret">
${csrfField(view.csrf)}
<button type="submit" aria-describedby="rotate-hint">${m('app.rotate')}</button>
<span class="hint" id="rotate-hint">${m('app.rotateHint')}</span>
</form>`;
}

function usage(m: Words, view: AppView): Html {
  return html`<section class="card" aria-labelledby="usage-heading">
<h2 id="usage-heading">${m('usage.title')}</h2>
<ul class="stats">
<li><span class="figure" data-testid="usage-users">${view.authorizedUsers}</span>${m('usage.users')}</li>
${view.tokensLastDay === undefined ? '' : html`<li><span class="figure" data-testid="usage-tokens">${view.tokensLastDay}</span>${m('usage.tokens')}</li>`}
</ul>
<p><a href="/console/apps/${view.client.id}/audit" data-testid="audit-link">${m('usage.audit')}</a></p>
</section>`;
}

function basicForm(m: Words, view: AppView): Html {
  const draft = view.draft ?? view.client;
  return html`<section class="card" aria-labelledby="edit-heading">
<h2 id="edit-heading">${m('app.edit')}</h2>
<form method="post" action="/console/apps/${view.client.id}/basic">
${csrfField(view.csrf)}
<label for="name">${m('field.appName')}</label>
<input type="text" id="name" name="name" value="${draft.name}" maxlength="100" required>
<label for="description">${m('field.description')}</label>
<textarea id="description" name="description" rows="2" maxlength="1000">${draft.description}</textarea>
<label for="homepage">${m('field.homepage')}</label>
<input type="url" id="homepage" name="homepage" value="${draft.homepage}">
<button type="submit">${m('app.update')}</button>
</form>
</section>`;
}

function advancedForm(m: Words, view: AppView): Html {
  const { client } = view;
  const draft = view.draft ?? client;
  const publicApp = isPublicType(client.appType);
  const scopeBoxes = Object.keys(view.scopes).map(
    (name) => html`<div class="choice"><input type="checkbox" name="scopes" id="scope-${name}" value="${name}"${draft.scopes.includes(name) ? html` checked` : ''}>
<label class="inline" for="scope-${name}"><code>${name}</code>: ${scopeWords(view.locale, name, view.scopes)}</label></div>`,
  );
  const pkce = publicApp
    ? html`<div class="choice"><input type="checkbox" id="pkce_required" checked disabled aria-describedby="pkce-hint">
<label class="inline" for="pkce_required">${m('pkce.label')}</label>
<p class="hint" id="pkce-hint">${m('pkce.public')}</p></div>`
    : html`<div class="choice"><input type="checkbox" name="pkce_required" id="pkce_required" value="1"${draft.pkceRequired ? html` checked` : ''} aria-describedby="pkce-hint">
<label class="inline" for="pkce_required">${m('pkce.label')}</label>
<p class="hint" id="pkce-hint">${rich(view.locale, 'pkce.confidential', { param: html`<code>code_challenge</code>` })}</p></div>`;
  return html`<section class="card" aria-labelledby="advanced-heading">
<h2 id="advanced-heading">${m('app.advanced')}</h2>
${signInAgainHint(view)}
${view.problem?.field === 'redirect_uris' ? problemBox(view.problem) : ''}
<form method="post" action="/console/apps/${client.id}/advanced">
${csrfField(view.csrf)}
${client.appType === 'service' ? html`<p class="hint">${m('callback.serviceNone')}</p>` : callbackField(m, draft.redirectUris.join('\n'), view.problem, false)}
<fieldset><legend>${m('app.scopes')}</legend>${scopeBoxes}</fieldset>
<fieldset><legend>PKCE</legend>${pkce}</fieldset>
${grants(m, client, draft)}
<label for="token_format">${m('token.label')}</label>
<select id="token_format" name="token_format">
<option value="jwt"${draft.tokenFormat === 'jwt' ? html` selected` : ''}>${m('token.jwt')}</option>
<option value="opaque"${draft.tokenFormat === 'opaque' ? html` selected` : ''}>${m('token.opaque')}</option>
</select>
${client.appType === 'service' ? '' : openIdFields(m, draft, view.problem)}
<button type="submit" class="primary">${m('app.save')}</button>
</form>
</section>`;
}

/** OpenID Connect: how the app's ID tokens are signed, and where logging out through it may return. */
function openIdFields(m: Words, draft: Client, problem: FormProblem | undefined): Html {
  const alg = draft.idTokenSignedResponseAlg ?? 'RS256';
  const invalid = problem?.field === 'post_logout_redirect_uris';
  return html`<fieldset><legend>OpenID Connect</legend>
<label for="id_token_alg">${m('idToken.label')}</label>
<select id="id_token_alg" name="id_token_alg" aria-describedby="id_token_alg-hint">
<option value="RS256"${alg === 'RS256' ? html` selected` : ''}>RS256</option>
<option value="EdDSA"${alg === 'EdDSA' ? html` selected` : ''}>EdDSA</option>
</select>
<p class="hint" id="id_token_alg-hint">${m('idToken.hint')}</p>
<label for="post_logout_redirect_uris">${m('logoutUris.label')}</label>
<textarea id="post_logout_redirect_uris" name="post_logout_redirect_uris" rows="2" placeholder="https://app.example/logged-out" spellcheck="false" autocapitalize="off"
  aria-describedby="post_logout_redirect_uris-hint${invalid ? ' post_logout_redirect_uris-error' : ''}"${invalid ? html` aria-invalid="true"` : ''}>${(draft.postLogoutRedirectUris ?? []).join('\n')}</textarea>
${invalid ? html`<p class="field-error" id="post_logout_redirect_uris-error" data-testid="post_logout_redirect_uris-error">${problem!.message}</p>` : ''}
<p class="hint" id="post_logout_redirect_uris-hint">${m('logoutUris.hint')}</p>
${fieldWithProblem(problem, 'backchannel_logout_uri', html`<label for="backchannel_logout_uri">${m('backchannelUri.label')}</label>
<input id="backchannel_logout_uri" name="backchannel_logout_uri" type="url" value="${draft.backchannelLogoutUri ?? ''}" placeholder="https://app.example/backchannel-logout" spellcheck="false" autocapitalize="off"`, m('backchannelUri.hint'))}
${fieldWithProblem(problem, 'subject_type', html`<label for="subject_type">${m('subjectType.label')}</label>
<select id="subject_type" name="subject_type"`, m('subjectType.hint'), html`<option value="public"${draft.subjectType !== 'pairwise' ? html` selected` : ''}>${m('subjectType.public')}</option>
<option value="pairwise"${draft.subjectType === 'pairwise' ? html` selected` : ''}>${m('subjectType.pairwise')}</option>
</select>`)}
</fieldset>`;
}

/** A field's opening tag (left open for its aria attributes), its error when it is the one refused, and its hint. */
function fieldWithProblem(problem: FormProblem | undefined, field: NonNullable<FormProblem['field']>, opening: Html, hint: string, rest: Html | '' = ''): Html {
  const invalid = problem?.field === field;
  return html`${opening} aria-describedby="${field}-hint${invalid ? ` ${field}-error` : ''}"${invalid ? html` aria-invalid="true"` : ''}>${rest}
${invalid ? html`<p class="field-error" id="${field}-error" data-testid="${field}-error">${problem!.message}</p>` : ''}
<p class="hint" id="${field}-hint">${hint}</p>`;
}

/** Why some changes will ask for a fresh sign-in, and the way to make one that comes back here. */
function signInAgainHint(view: PageBasics & { client: Client; signInAgain?: { minutes: number } }): Html | '' {
  if (!view.signInAgain) return '';
  const link = html`<a href="/login?return_to=${encodeURIComponent(`/console/apps/${view.client.id}`)}" data-testid="sign-in-again-link">${t(view.locale, 'console.signInAgain.link')}</a>`;
  return html`<p class="hint" data-testid="sign-in-again">${rich(view.locale, 'console.signInAgain', { minutes: view.signInAgain.minutes, link })}</p>`;
}

const grantKeys: Record<string, MessageKey> = {
  authorization_code: 'grant.authorization_code',
  refresh_token: 'grant.refresh_token',
  client_credentials: 'grant.client_credentials',
  implicit: 'grant.implicit',
  password: 'grant.password',
};

/** The grants the app may use; the two legacy ones carry a warning wherever they appear. */
function grants(m: Words, client: Client, draft: Client): Html {
  const fixed = client.grantTypes.filter((grant) => grant !== 'implicit' && grant !== 'password');
  const password = client.grantTypes.includes('password');
  return html`<fieldset data-testid="grants"><legend>${m('grant.title')}</legend>
<ul>${fixed.map((grant) => html`<li>${grantKeys[grant] ? m(grantKeys[grant]) : grant} <span class="muted">(<code>${grant}</code>)</span></li>`)}</ul>
${client.appType === 'spa' ? implicitChoice(m, draft) : ''}
<div class="choice" data-testid="grant-password">
<p><strong>${m('grant.password')}</strong> <span class="muted">(<code>password</code>)</span>:
${password ? m('grant.password.on') : m('grant.password.off')}</p>
<div class="box warning"><p><strong>${m('warning.notRecommended')}</strong> ${m('grant.password.warning')}</p></div>
</div>
</fieldset>`;
}

function implicitChoice(m: Words, draft: Client): Html {
  return html`<div class="choice" data-testid="grant-implicit"><input type="checkbox" name="implicit" id="implicit" value="1"${
    draft.grantTypes.includes('implicit') ? html` checked` : ''
  } aria-describedby="implicit-warning">
<label class="inline" for="implicit">${m('grant.implicit.allow')}</label>
<div class="box warning" id="implicit-warning"><p><strong>${m('warning.notRecommended')}</strong> ${m('grant.implicit.warning')}</p></div></div>`;
}
