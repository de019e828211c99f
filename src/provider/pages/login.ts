import { csrfField, html, layout } from './html.ts';

// The start page and the pages that sign people in and out. Pure functions of their data.

type Viewer = { username: string } | null;

export function homePage(view: { user: Viewer; csrf: string; allowSignup: boolean }): string {
  const { user, csrf, allowSignup } = view;
  const start = user
    ? html`<p>You are signed in as <strong>${user.username}</strong>.</p>
<ul>
<li><a href="/console">Developer console</a>: register apps and get their App Key and App Secret.</li>
<li><a href="/account/apps">Connected apps</a>: see which apps you allowed to use your account, and take that back.</li>
</ul>`
    : html`<p><a href="/login">Log in</a>${allowSignup ? html` or <a href="/signup">create an account</a>` : ''}.
Developers register their apps in the <a href="/console">developer console</a>.</p>`;
  return layout({
    title: 'Grantry',
    user,
    csrf,
    body: html`<p>This is an OAuth 2.0 provider: other websites and apps can offer “Log in with” this account,
and get only what you allow them to see.</p>
${start}
<p class="muted">For developers: the <a href="/.well-known/oauth-authorization-server">authorization server metadata</a> (RFC 8414)
lists every endpoint.</p>`,
  });
}

export interface LoginView {
  user: Viewer;
  csrf: string;
  returnTo: string;
  username: string;
  error?: string;
  allowSignup: boolean;
}

export function loginPage(view: LoginView): string {
  const { returnTo, allowSignup } = view;
  const signupHref = `/signup${returnTo ? `?return_to=${encodeURIComponent(returnTo)}` : ''}`;
  return layout({
    title: 'Log in',
    user: view.user,
    csrf: view.csrf,
    body: html`${view.user ? html`<p class="notice">You are signed in as ${view.user.username}. Log in below to switch accounts.</p>` : ''}
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
<form method="post" action="/login">
${csrfField(view.csrf)}
<input type="hidden" name="return_to" value="${returnTo}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${view.username}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" class="primary">Log in</button>
</form>
${allowSignup ? html`<p>No account yet? <a href="${signupHref}">Create one</a>.</p>` : ''}`,
  });
}

export interface SignupValues {
  username: string;
  displayName: string;
  email: string;
}

export interface SignupView {
  user: Viewer;
  csrf: string;
  returnTo: string;
  values: SignupValues;
  error?: string;
}

export function signupPage(view: SignupView): string {
  const { values } = view;
  return layout({
    title: 'Create an account',
    user: view.user,
    csrf: view.csrf,
    body: html`${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
<form method="post" action="/signup">
${csrfField(view.csrf)}
<input type="hidden" name="return_to" value="${view.returnTo}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${values.username}" autocomplete="username" required
  minlength="3" maxlength="32" pattern="[A-Za-z0-9_.\-]+">
<p class="muted">3 to 32 characters: letters, digits, <code>_</code>, <code>.</code> and <code>-</code>.</p>
<label for="display_name">Display name</label>
<input type="text" id="display_name" name="display_name" value="${values.displayName}" autocomplete="name" maxlength="100">
<label for="email">Email (optional)</label>
<input type="email" id="email" name="email" value="${values.email}" autocomplete="email">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="new-password" required minlength="8">
<p class="muted">At least 8 characters.</p>
<label for="password_confirmation">Password again</label>
<input type="password" id="password_confirmation" name="password_confirmation" autocomplete="new-password" required minlength="8">
<button type="submit" class="primary">Create account</button>
</form>
<p>Already have an account? <a href="/login${view.returnTo ? `?return_to=${encodeURIComponent(view.returnTo)}` : ''}">Log in</a>.</p>`,
  });
}
