import { escapeHtml as e, type ConnectIdentity, type ConnectUser, type ErrorPageInput, type PendingPageInput } from '../connect/index.ts';
import { locales, localeNames, t, type Locale, type MessageKey } from '../i18n/index.ts';

// The demo website's pages, server-rendered, in the visitor's language. Every word comes from the
// `demo.*` messages of src/i18n; values are escaped here, messages are plain text.

type Providers = Array<{ id: string; name: string }>;
export type Section = 'home' | 'spa' | 'implicit' | 'other';

export interface PageContext {
  locale: Locale;
  /** The path of this page, for the language switcher to come back to. */
  path: string;
}

const tx = (c: PageContext, key: MessageKey, params?: Record<string, string | number>) => e(t(c.locale, key, params));

function layout(c: PageContext, section: Section, title: string, body: string, head = ''): string {
  const link = (target: Section, href: string, key: MessageKey) =>
    `<li><a href="${href}"${section === target ? ' aria-current="page"' : ''}>${tx(c, key)}</a></li>`;
  const switcher = locales
    .map((locale) =>
      locale === c.locale
        ? `<span lang="${locale}" aria-current="true">${e(localeNames[locale])}</span>`
        : `<a href="/lang/${locale}?back=${encodeURIComponent(c.path)}" lang="${locale}" hreflang="${locale}" title="${e(t(locale, 'lang.switchTo', { language: localeNames[locale] }))}">${e(localeNames[locale])}</a>`,
    )
    .join('');
  return `<!doctype html><html lang="${c.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(title)} · ${tx(c, 'demo.site')}</title><link rel="stylesheet" href="/demo.css">${head}</head>
<body><header class="site"><div class="bar"><a class="brand" href="/">${tx(c, 'demo.site')}</a>
<nav aria-label="${tx(c, 'demo.nav.label')}"><ul>${link('home', '/', 'demo.nav.home')}${link('spa', '/spa', 'demo.nav.spa')}${link('implicit', '/implicit', 'demo.nav.implicit')}</ul></nav></div></header>
<main>${body}</main>
<footer class="site"><nav class="lang" aria-label="${tx(c, 'lang.label')}">${switcher}</nav></footer></body></html>`;
}

function loginButtons(c: PageContext, providers: Providers, link: boolean): string {
  return providers
    .map((p) => `<form class="inline" method="post" action="/auth/${e(p.id)}/login">${link ? '<input type="hidden" name="link" value="1">' : ''}<button class="provider" type="submit">${tx(c, link ? 'demo.account.bind' : 'demo.loginWith', { provider: p.name })}</button></form>`)
    .join('');
}

export function homePage(c: PageContext, providers: Providers, user: ConnectUser | undefined): string {
  if (user) {
    return layout(c, 'home', t(c.locale, 'demo.home.title'), `<h1>${tx(c, 'demo.home.hello', { name: user.displayName })}</h1><p><a href="/account">${tx(c, 'demo.home.toAccount')}</a></p>`);
  }
  return layout(
    c,
    'home',
    t(c.locale, 'demo.home.title'),
    `<h1>${tx(c, 'demo.home.title')}</h1><p>${tx(c, 'demo.home.intro')}</p>
<section class="card" aria-labelledby="providers"><h2 id="providers">${tx(c, 'demo.home.providers')}</h2>${loginButtons(c, providers, false)}</section>
<div class="grid">
<section class="card"><h2 id="local-login">${tx(c, 'demo.home.passwordLogin')}</h2>
<form method="post" action="/auth/local/login" aria-labelledby="local-login">
<label for="login-username">${tx(c, 'demo.field.username')}</label><input id="login-username" name="username" autocomplete="username" required>
<label for="login-password">${tx(c, 'demo.field.password')}</label><input id="login-password" name="password" type="password" autocomplete="current-password" required>
<button class="primary" type="submit">${tx(c, 'demo.button.logIn')}</button></form></section>
<section class="card"><h2 id="local-register">${tx(c, 'demo.home.register')}</h2>
<form method="post" action="/auth/local/register" aria-labelledby="local-register">
<label for="register-username">${tx(c, 'demo.field.username')}</label><input id="register-username" name="username" autocomplete="username" required>
<label for="register-name">${tx(c, 'demo.field.displayName')}</label><input id="register-name" name="displayName" autocomplete="name">
<label for="register-password">${tx(c, 'demo.field.password')}</label><input id="register-password" name="password" type="password" autocomplete="new-password" required minlength="8">
<button type="submit">${tx(c, 'demo.button.createAccount')}</button></form></section>
</div>`,
  );
}

/** What the provider's /api/me said just now, for the account page. */
export type LiveProfile =
  | { kind: 'ok'; providerName: string; me: Record<string, unknown> }
  | { kind: 'no-token'; providerName: string }
  | { kind: 'unreachable'; providerName: string; reason: string };

function liveSection(c: PageContext, live: LiveProfile): string {
  const heading = `<h2 id="live">${tx(c, 'demo.account.live', { provider: live.providerName })}</h2>`;
  if (live.kind === 'no-token') return `<section class="card" aria-labelledby="live">${heading}<p>${tx(c, 'demo.account.noToken', { provider: live.providerName })}</p></section>`;
  if (live.kind === 'unreachable') return `<section class="card" aria-labelledby="live">${heading}<p class="error">${tx(c, 'demo.account.unreachable', { provider: live.providerName, reason: live.reason })}</p></section>`;
  const rows: Array<[MessageKey, string]> = [['demo.field.uid', 'uid'], ['demo.field.username', 'username'], ['demo.field.displayName', 'display_name'], ['demo.field.email', 'email']];
  const facts = rows
    .filter(([, field]) => typeof live.me[field] === 'string')
    .map(([key, field]) => `<dt>${tx(c, key)}</dt><dd data-field="${field}">${e(live.me[field] as string)}</dd>`)
    .join('');
  return `<section class="card" aria-labelledby="live" data-testid="live-profile">${heading}<p class="muted">${tx(c, 'demo.account.liveIntro', { provider: live.providerName })}</p><dl class="facts">${facts}</dl></section>`;
}

export function accountPage(c: PageContext, user: ConnectUser, identities: ConnectIdentity[], providers: Providers, live: LiveProfile[]): string {
  const name = (id: string) => providers.find((p) => p.id === id)?.name ?? id;
  // Connect refuses to unbind the only way to log in (no password, no other login): it is not offered.
  const onlyLogin = !user.passwordHash && identities.length === 1;
  const unbind = (identity: ConnectIdentity) =>
    onlyLogin
      ? `<span class="muted" data-testid="only-login">${tx(c, 'demo.account.onlyLogin')}</span>`
      : `<form class="inline" method="post" action="/auth/unbind"><input type="hidden" name="identity" value="${e(identity.id)}"><button type="submit">${tx(c, 'demo.account.unbind', { provider: name(identity.provider) })}</button></form>`;
  const bound = identities
    .map((identity) => `<li>${identity.profile.avatar ? `<img src="${e(identity.profile.avatar)}" width="24" height="24" alt="">` : ''}<strong>${e(name(identity.provider))}</strong><span>${e(identity.profile.name ?? identity.subject)}${identity.profile.email ? ` &lt;${e(identity.profile.email)}&gt;` : ''}</span>
${unbind(identity)}</li>`)
    .join('');
  const unbound = providers.filter((p) => !identities.some((i) => i.provider === p.id));
  return layout(
    c,
    'other',
    t(c.locale, 'demo.account.title'),
    `<h1>${tx(c, 'demo.account.title')}</h1>
<section class="card"><h2>${e(user.displayName)}</h2><dl class="facts"><dt>${tx(c, 'demo.field.username')}</dt><dd>${e(user.username)}</dd>
${user.email ? `<dt>${tx(c, 'demo.field.email')}</dt><dd>${e(user.email)}</dd>` : ''}<dt>${tx(c, 'demo.account.password')}</dt><dd>${tx(c, user.passwordHash ? 'demo.account.hasPassword' : 'demo.account.noPassword')}</dd></dl></section>
${live.map((profile) => liveSection(c, profile)).join('')}
<section class="card" aria-labelledby="bound"><h2 id="bound">${tx(c, 'demo.account.bound')}</h2>${bound ? `<ul class="logins">${bound}</ul>` : `<p>${tx(c, 'demo.account.noneBound')}</p>`}</section>
${unbound.length ? `<section class="card" aria-labelledby="bind-another"><h2 id="bind-another">${tx(c, 'demo.account.bindAnother')}</h2>${loginButtons(c, unbound, true)}</section>` : ''}
<form method="post" action="/logout"><button type="submit">${tx(c, 'demo.button.logOut')}</button></form>`,
  );
}

/** After the provider refused this site's token: the token is forgotten, the visitor logged out. */
export function reloginPage(c: PageContext, providers: Providers, providerName: string): string {
  return layout(
    c,
    'other',
    t(c.locale, 'demo.relogin.title'),
    `<h1>${tx(c, 'demo.relogin.title')}</h1><p role="alert" class="notice">${tx(c, 'demo.relogin.body', { provider: providerName })}</p>
<p>${tx(c, 'demo.relogin.action')}</p>${loginButtons(c, providers, false)}`,
  );
}

/** The binding page (Connect's pending login), in the demo's look and language. */
export function pendingPage(c: PageContext, input: PendingPageInput): string {
  const name = input.identity.profile.name;
  const intro = name ? tx(c, 'demo.pending.intro', { provider: input.providerName, name }) : tx(c, 'demo.pending.introAnonymous', { provider: input.providerName });
  const message = input.message ? `<p role="alert" class="error">${e(messageFor(c.locale, input.code, input.message))}</p>` : '';
  return layout(
    c,
    'other',
    t(c.locale, 'demo.pending.title', { provider: input.providerName }),
    `<h1>${tx(c, 'demo.pending.title', { provider: input.providerName })}</h1><p>${intro}</p>${message}
<div class="grid">
<section class="card"><h2 id="pending-create">${tx(c, 'demo.pending.create')}</h2>
<form method="post" action="${e(input.basePath)}/pending/register" aria-labelledby="pending-create">
<label for="create-username">${tx(c, 'demo.field.username')}</label><input id="create-username" name="username" required value="${e(input.username ?? '')}" autocomplete="username">
<label for="create-name">${tx(c, 'demo.field.displayName')}</label><input id="create-name" name="displayName" required value="${e(name ?? '')}" autocomplete="name">
<button class="primary" type="submit">${tx(c, 'demo.button.createAccount')}</button></form></section>
<section class="card"><h2 id="pending-bind">${tx(c, 'demo.pending.bind')}</h2>
<form method="post" action="${e(input.basePath)}/pending/bind" aria-labelledby="pending-bind">
<label for="bind-username">${tx(c, 'demo.field.username')}</label><input id="bind-username" name="username" required autocomplete="username">
<label for="bind-password">${tx(c, 'demo.field.password')}</label><input id="bind-password" name="password" type="password" required autocomplete="current-password">
<button type="submit">${tx(c, 'demo.pending.bindButton')}</button></form></section>
</div>`,
  );
}

const stateCodes = ['unknown_state', 'missing_state', 'browser_mismatch', 'expired_state', 'provider_mismatch'];

/** Connect's message in the visitor's language where the demo words it; its own English words otherwise. */
function messageFor(locale: Locale, code: string | undefined, message: string): string {
  if (
    code === 'access_denied' || code === 'username_taken' || code === 'identity_taken' || code === 'no_pending_login' || code === 'ticket_invalid' ||
    code === 'last_login_method' || code === 'not_found'
  ) {
    return t(locale, `demo.error.${code}` as MessageKey);
  }
  if (code && stateCodes.includes(code)) return t(locale, 'demo.error.invalid_state');
  return message;
}

/** Connect's error page (a refused or failed login), in the demo's look and language. */
export function errorPage(c: PageContext, input: ErrorPageInput): string {
  // Connect's error page serves more than logins: a refused unbind is about the account.
  const aboutAccount = input.code === 'last_login_method' || input.code === 'not_found';
  const title = t(c.locale, aboutAccount ? 'demo.error.unbindTitle' : 'demo.error.title');
  return layout(
    c,
    'other',
    title,
    `<h1>${e(title)}</h1><p role="alert" class="error" data-code="${e(input.code)}">${e(messageFor(c.locale, input.code, input.message))}</p>
<p><a href="${e(aboutAccount ? '/account' : input.backTo)}">${tx(c, aboutAccount ? 'demo.error.backToAccount' : 'demo.error.back')}</a></p>`,
  );
}

/** Messages the pages' scripts show, handed over as data (the CSP allows no inline script). */
function scriptMessages(c: PageContext, keys: MessageKey[]): string {
  const messages = Object.fromEntries(keys.map((key) => [key, t(c.locale, key)]));
  return `<script type="application/json" id="messages">${JSON.stringify(messages).replace(/</g, '\\u003c')}</script>`;
}

export function spaPage(c: PageContext, providers: Providers): string {
  return layout(
    c,
    'spa',
    t(c.locale, 'demo.spa.title'),
    `<h1>${tx(c, 'demo.spa.title')}</h1><p>${tx(c, 'demo.spa.intro')}</p>
<div id="buttons">${providers.map((p) => `<button class="provider" type="button" data-provider="${e(p.id)}" data-name="${e(p.name)}">${tx(c, 'demo.loginWith', { provider: p.name })}</button>`).join('')}</div>
<p id="status" role="status"></p>
<div class="grid">
<form id="register" class="card" hidden aria-labelledby="spa-create"><h2 id="spa-create">${tx(c, 'demo.pending.create')}</h2>
<label for="spa-username">${tx(c, 'demo.field.username')}</label><input id="spa-username" name="username" required>
<label for="spa-name">${tx(c, 'demo.field.displayName')}</label><input id="spa-name" name="displayName">
<button class="primary" type="submit">${tx(c, 'demo.spa.createAndBind')}</button></form>
<form id="bind" class="card" hidden aria-labelledby="spa-bind"><h2 id="spa-bind">${tx(c, 'demo.pending.bind')}</h2>
<label for="spa-bind-username">${tx(c, 'demo.field.username')}</label><input id="spa-bind-username" name="username" required>
<label for="spa-bind-password">${tx(c, 'demo.field.password')}</label><input id="spa-bind-password" name="password" type="password" required>
<button type="submit">${tx(c, 'demo.pending.bindButton')}</button></form>
</div>
<pre id="me" role="region" tabindex="0" aria-label="/api/auth/me"></pre>
${scriptMessages(c, ['demo.spa.notSignedIn', 'demo.spa.pending', 'demo.spa.signedIn'])}
<script type="module" src="/spa.js"></script>`,
  );
}

export function implicitPage(c: PageContext, config: { issuer: string; clientId: string | undefined; providerName: string }): string {
  const body = config.clientId
    ? `<button class="provider" type="button" id="implicit-login">${tx(c, 'demo.loginWith', { provider: config.providerName })}</button>
<p id="status" role="status"></p>
<section class="card" id="profile" hidden aria-labelledby="implicit-profile"><h2 id="implicit-profile">${tx(c, 'demo.implicit.profile')}</h2><pre id="me" role="region" tabindex="0" aria-labelledby="implicit-profile"></pre></section>
<div id="config" hidden data-issuer="${e(config.issuer)}" data-client-id="${e(config.clientId)}" data-provider="${e(config.providerName)}"></div>
${scriptMessages(c, ['demo.implicit.signedIn', 'demo.implicit.failed', 'demo.error.access_denied'])}
<script type="module" src="/implicit.js"></script>`
    : `<p class="notice">${tx(c, 'demo.implicit.notConfigured')}</p>`;
  return layout(c, 'implicit', t(c.locale, 'demo.implicit.title'), `<h1>${tx(c, 'demo.implicit.title')}</h1><p>${tx(c, 'demo.implicit.intro', { provider: config.providerName })}</p>${body}`);
}
