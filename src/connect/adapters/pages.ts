import { defaultLocale, isLocale, pickLocale, type Locale } from '../../i18n/negotiate.ts';
import type { ConnectIdentity } from '../storage.ts';
import { escapeHtml as e, type ConnectRequest } from './http.ts';
import { connectText, pageMessage, titleKey, type ConnectMessageKey, type MessageParams } from './messages.ts';
import { connectStylesheetVersion, stylesheetPath } from './style.ts';

// The pages Connect shows itself: the binding page (a login the site does not know yet) and the
// error page. A site that has not written its own shows these to real visitors, so they come in
// the provider's look, in English or Simplified Chinese. A site replaces either one with the
// `pages` option, in its own look, or serves its own pages and uses the JSON routes.

export type { MessageParams };

export interface PendingPageInput {
  basePath: string;
  providerName: string;
  identity: ConnectIdentity;
  message?: string;
  /** Why the last attempt failed, as a code a site can translate (username_taken, invalid_credentials, …). */
  code?: string;
  /** The values `message` was made of, for a site that words it in another language. */
  params?: MessageParams;
  username?: string;
}

export interface ErrorPageInput {
  status: number;
  /** A stable code for the message (access_denied, unknown_state, last_login_method, …), for a site that words it itself. */
  code: string;
  /** Connect's own words, in English. */
  message: string;
  /** The values `message` was made of (the provider's name, its error code, minutes to wait). */
  params?: MessageParams;
  backTo: string;
}

/** A site's own rendering of the two pages, in its own look and language; the request tells it which. */
export interface ConnectPages {
  pending(input: PendingPageInput, request: ConnectRequest): string;
  error(input: ErrorPageInput, request: ConnectRequest): string;
}

/** A fixed language for Connect's pages, or a site's way to read it from the request (its own cookie); Accept-Language otherwise. */
export type LocaleOption = Locale | ((request: ConnectRequest) => Locale | undefined);

/** What a default page needs besides its input: its language, and where Connect serves the stylesheet. */
export interface PageContext {
  locale: Locale;
  basePath: string;
}

/** The language of a default page: the site's choice, else the request's Accept-Language, else English. */
export function pageLocale(option: LocaleOption | undefined, request: ConnectRequest): Locale {
  const chosen = typeof option === 'function' ? option(request) : option;
  if (isLocale(chosen)) return chosen;
  return pickLocale({ acceptLanguage: request.headers['accept-language'] });
}

/** Connect's own pages for a site: in the language `locale` picks, with the stylesheet under `basePath`. */
export function defaultPages(options: { basePath: string; locale?: LocaleOption }): ConnectPages {
  const context = (request: ConnectRequest): PageContext => ({ locale: pageLocale(options.locale, request), basePath: options.basePath });
  return {
    pending: (input, request) => pendingPage(input, context(request)),
    error: (input, request) => errorPage(input, context(request)),
  };
}

function layout(c: PageContext, title: string, content: string): string {
  const stylesheet = `${stylesheetPath(c.basePath)}?v=${connectStylesheetVersion}`;
  return `<!doctype html><html lang="${c.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(title)}</title><link rel="stylesheet" href="${e(stylesheet)}"></head>
<body><main>${content}</main></body></html>`;
}

const tx = (c: PageContext, key: ConnectMessageKey, params?: Record<string, string>) => e(connectText(c.locale, key, params));

export function pendingPage(input: PendingPageInput, context: Partial<PageContext> = {}): string {
  const c: PageContext = { locale: context.locale ?? defaultLocale, basePath: context.basePath ?? input.basePath };
  const provider = input.providerName;
  const name = input.identity.profile.name ?? '';
  const intro = name ? tx(c, 'pending.intro', { provider, name }) : tx(c, 'pending.introAnonymous', { provider });
  const message = input.message
    ? `<p role="alert" class="box error" data-code="${e(input.code ?? '')}">${e(pageMessage(c.locale, input.code ?? '', input.message, { provider, ...input.params }))}</p>`
    : '';
  const action = (path: string) => e(`${input.basePath}/pending/${path}`);
  return layout(
    c,
    connectText(c.locale, 'pending.title', { provider }),
    `<h1>${tx(c, 'pending.title', { provider })}</h1>
<p>${intro}</p>
${message}
<div class="grid">
<section class="card" aria-labelledby="connect-create"><h2 id="connect-create">${tx(c, 'pending.create')}</h2>
<p class="hint">${tx(c, 'pending.createHint', { provider })}</p>
<form method="post" action="${action('register')}">
<label for="connect-create-username">${tx(c, 'field.username')}</label>
<input id="connect-create-username" name="username" required minlength="3" maxlength="32" pattern="[A-Za-z0-9_.\\-]{3,32}" aria-describedby="connect-username-hint" value="${e(input.username ?? '')}" autocomplete="username">
<p class="hint" id="connect-username-hint">${tx(c, 'field.usernameHint')}</p>
<label for="connect-create-name">${tx(c, 'field.displayName')}</label>
<input id="connect-create-name" name="displayName" required maxlength="100" value="${e(name)}" autocomplete="name">
<button class="primary" type="submit">${tx(c, 'button.create')}</button>
</form></section>
<section class="card" aria-labelledby="connect-bind"><h2 id="connect-bind">${tx(c, 'pending.bind')}</h2>
<p class="hint">${tx(c, 'pending.bindHint', { provider })}</p>
<form method="post" action="${action('bind')}">
<label for="connect-bind-username">${tx(c, 'field.username')}</label>
<input id="connect-bind-username" name="username" required autocomplete="username">
<label for="connect-bind-password">${tx(c, 'field.password')}</label>
<input id="connect-bind-password" name="password" type="password" required autocomplete="current-password">
<button type="submit">${tx(c, 'button.bind')}</button>
</form></section>
</div>
<p><a href="/">${tx(c, 'pending.cancel')}</a></p>`,
  );
}

export function errorPage(input: ErrorPageInput, context: Partial<PageContext> = {}): string {
  const c: PageContext = { locale: context.locale ?? defaultLocale, basePath: context.basePath ?? '/auth' };
  const title = connectText(c.locale, titleKey(input.code));
  const back = input.backTo === '/' ? 'error.backHome' : 'error.back';
  return layout(
    c,
    title,
    `<h1>${e(title)}</h1>
<p role="alert" class="box error" data-code="${e(input.code)}">${e(pageMessage(c.locale, input.code, input.message, input.params))}</p>
<p><a href="${e(input.backTo)}">${tx(c, back)}</a></p>
<p class="muted">${tx(c, 'error.code', { code: input.code })}</p><!-- HTTP ${Number(input.status)} -->`,
  );
}
