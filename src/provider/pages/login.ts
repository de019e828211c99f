import { t, type MessageKey } from '../../i18n/index.ts';
import { csrfField, html, layout, rich, type PageBasics } from './html.ts';

/**
 * The browser's own check of a new username, the same rule as isUsernameSyntax. Browsers compile
 * a pattern with the `v` flag, where a `-` in a class must be escaped: kept in a plain string, so
 * that no template literal drops the backslash (one did, and Chromium turned the check off).
 */
export const usernamePattern = String.raw`[A-Za-z0-9_.\-]+`;

// The start page and the pages that sign people in and out. Pure functions of their data.

type Basics = PageBasics;
const words = (view: Basics) => (key: MessageKey, params?: Record<string, string | number>) => t(view.locale, key, params);

export function homePage(view: Basics & { allowSignup: boolean }): string {
  const { user, allowSignup, locale } = view;
  const m = words(view);
  const start = user
    ? html`<p>${rich(locale, 'home.signedInAs', { name: html`<strong>${user.username}</strong>` })}</p>
<ul>
<li><a href="/console">${m('nav.console')}</a>: ${m('home.consoleWhat')}</li>
<li><a href="/account/apps">${m('nav.connectedApps')}</a>: ${m('home.appsWhat')}</li>
</ul>`
    : html`<p class="actions"><a class="button primary" href="/login">${m('nav.login')}</a>${
        allowSignup ? html`<a class="button" href="/signup">${m('signup.title')}</a>` : ''
      }</p>
<p>${rich(locale, 'home.developers', { console: html`<a href="/console">${m('nav.console')}</a>` })}</p>`;
  return layout({
    ...view,
    title: 'Grantry',
    body: html`<p>${m('home.intro')}</p>
${start}
<p class="muted">${rich(locale, 'home.metadata', { link: html`<a href="/.well-known/oauth-authorization-server">${m('home.metadataLink')}</a>` })}</p>`,
  });
}

export interface LoginView extends Basics {
  returnTo: string;
  username: string;
  error?: string;
  allowSignup: boolean;
}

export function loginPage(view: LoginView): string {
  const { returnTo, allowSignup } = view;
  const m = words(view);
  const signupHref = `/signup${returnTo ? `?return_to=${encodeURIComponent(returnTo)}` : ''}`;
  return layout({
    ...view,
    title: m('login.title'),
    body: html`${view.user ? html`<p class="box notice">${m('login.switchAccount', { name: view.user.username })}</p>` : ''}
${view.error ? html`<p class="box error" role="alert" data-testid="error">${view.error}</p>` : ''}
<form method="post" action="/login" class="card">
${csrfField(view.csrf)}
<input type="hidden" name="return_to" value="${returnTo}">
<label for="username">${m('field.username')}</label>
<input type="text" id="username" name="username" value="${view.username}" autocomplete="username" required autofocus>
<label for="password">${m('field.password')}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" class="primary">${m('login.submit')}</button>
</form>
${allowSignup ? html`<p>${rich(view.locale, 'login.noAccount', { link: html`<a href="${signupHref}">${m('login.createOne')}</a>` })}</p>` : ''}`,
  });
}

export interface SignupValues {
  username: string;
  displayName: string;
  email: string;
}

export interface SignupView extends Basics {
  returnTo: string;
  values: SignupValues;
  error?: string;
}

export function signupPage(view: SignupView): string {
  const { values } = view;
  const m = words(view);
  const loginHref = `/login${view.returnTo ? `?return_to=${encodeURIComponent(view.returnTo)}` : ''}`;
  return layout({
    ...view,
    title: m('signup.title'),
    body: html`${view.error ? html`<p class="box error" role="alert" data-testid="error">${view.error}</p>` : ''}
<form method="post" action="/signup" class="card">
${csrfField(view.csrf)}
<input type="hidden" name="return_to" value="${view.returnTo}">
<label for="username">${m('field.username')}</label>
<input type="text" id="username" name="username" value="${values.username}" autocomplete="username" required
  minlength="3" maxlength="32" pattern="${usernamePattern}" aria-describedby="username-hint">
<p class="hint" id="username-hint">${m('signup.usernameHint')}</p>
<label for="display_name">${m('field.displayName')}</label>
<input type="text" id="display_name" name="display_name" value="${values.displayName}" autocomplete="name" maxlength="100">
<label for="email">${m('field.emailOptional')}</label>
<input type="email" id="email" name="email" value="${values.email}" autocomplete="email">
<label for="password">${m('field.password')}</label>
<input type="password" id="password" name="password" autocomplete="new-password" required minlength="8" aria-describedby="password-hint">
<p class="hint" id="password-hint">${m('signup.passwordHint')}</p>
<label for="password_confirmation">${m('field.passwordAgain')}</label>
<input type="password" id="password_confirmation" name="password_confirmation" autocomplete="new-password" required minlength="8">
<button type="submit" class="primary">${m('signup.submit')}</button>
</form>
<p>${rich(view.locale, 'signup.haveAccount', { link: html`<a href="${loginHref}">${m('nav.login')}</a>` })}</p>`,
  });
}
