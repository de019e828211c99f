import { localeNames, locales, t, type Locale, type MessageKey } from '../../i18n/index.ts';
import { assetPaths } from './assets.ts';

// Server-rendered pages: a tagged template that escapes every interpolated value unless it is
// already markup (`Html`), and one layout. No template engine; nothing to configure. Every word a
// page shows comes from the catalogues in src/i18n.

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => entities[char]!);
}

export type Interpolation = Html | string | number | boolean | null | undefined | Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (value instanceof Html) return value.value;
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

/**
 * A catalogue message that holds markup (a link, a code span): the message and every string
 * parameter are escaped; only `Html` parameters go in as they are.
 */
export function rich(locale: Locale, key: MessageKey, params: Record<string, Html | string | number>): Html {
  const template = t(locale, key);
  return new Html(
    template
      .split(/(\{\w+\})/)
      .map((part) => {
        const name = /^\{(\w+)\}$/.exec(part)?.[1];
        if (name === undefined || !Object.hasOwn(params, name)) return escapeHtml(part);
        return render(params[name]!);
      })
      .join(''),
  );
}

/** What every page knows about its request: its language, who is signed in, the CSRF token, where it is. */
export interface PageBasics {
  locale: Locale;
  user: { username: string } | null;
  csrf: string;
  /** This page's own path (and query), for the language switcher to come back to. */
  here: string;
}

export function layout(options: Partial<PageBasics> & { locale: Locale; title: string; body: Html; heading?: boolean }): string {
  const { title, user, body, csrf, locale } = options;
  const m = (key: MessageKey, params?: Record<string, string | number>) => t(locale, key, params);
  return `<!doctype html>${html`<html lang="${locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Grantry</title>
<link rel="stylesheet" href="${assetPaths.css}">
<script src="${assetPaths.js}" defer></script></head>
<body>
<a class="skip" href="#main">${m('layout.skip')}</a>
<header class="top">
<a class="brand" href="/">Grantry</a>
<nav aria-label="${m('layout.nav')}">${
    user
      ? html`<a href="/console">${m('nav.console')}</a>
<a href="/account/apps">${m('nav.connectedApps')}</a>
<span class="who" data-testid="signed-in-as">${user.username}</span>
<form class="inline" method="post" action="/logout"><input type="hidden" name="csrf_token" value="${csrf ?? ''}"><button type="submit">${m('nav.logout')}</button></form>`
      : html`<a href="/login">${m('nav.login')}</a>`
  }</nav>
</header>
<main id="main">
${options.heading === false ? '' : html`<h1>${title}</h1>`}
${body}
</main>
<footer class="bottom">${languageSwitcher(locale, options.here ?? '/')}</footer>
</body></html>`}`;
}

/** Links to /lang, which remembers the choice in a cookie and comes back here. */
function languageSwitcher(locale: Locale, here: string): Html {
  const links = locales.map((other) =>
    other === locale
      ? html`<li><span aria-current="true" lang="${other}">${localeNames[other]}</span></li>`
      : html`<li><a href="/lang?to=${other}&amp;return_to=${encodeURIComponent(here)}" lang="${other}" hreflang="${other}" data-testid="lang-${other}">${localeNames[other]}</a></li>`,
  );
  return html`<nav class="lang" aria-label="${t(locale, 'lang.label')}"><ul>${links}</ul></nav>`;
}

// ── shared by the people-facing pages (login, console, connected apps) ─────────────────────

/** The hidden field every form carries; session.ts checks it on the way back. */
export const csrfField = (token: string) => html`<input type="hidden" name="csrf_token" value="${token}">`;

/** Seconds since the epoch as a date people read the same way anywhere: `2026-11-25 09:30 UTC`. */
export function formatDate(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A page that only says something: a refused form, a missing app. */
export function messagePage(options: Partial<PageBasics> & { locale: Locale; title: string; message: string }): string {
  return layout({
    ...options,
    body: html`<p data-testid="message">${options.message}</p><p><a href="/">${t(options.locale, 'layout.backHome')}</a></p>`,
  });
}

// Reading forms back. A form body is whatever the sender made of it: a field may be missing,
// repeated (an array) or, from a JSON body, not a string at all. These never throw.

/** A field as one string: '' when absent or not a string; NUL (which PostgreSQL refuses in text) made harmless. */
export function formText(body: unknown, name: string): string {
  const value = fieldOf(body, name);
  const text = Array.isArray(value) ? value[0] : value;
  return typeof text === 'string' ? text.replace(/\0/g, '\uFFFD') : '';
}

/** Every string value of a field (checkbox groups). */
export function formList(body: unknown, name: string): string[] {
  const value = fieldOf(body, name);
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && v !== '');
}

/** A checkbox: present and not empty means on. */
export const formFlag = (body: unknown, name: string) => formText(body, name) !== '';

/** The lines of a textarea, trimmed, without blank ones. */
export const formLines = (body: unknown, name: string) =>
  formText(body, name).split(/\r?\n/).map((line) => line.trim()).filter(Boolean);

/** Whether the form sent this field at all (an empty textarea is sent; a field the form lacks is not). */
export const fieldPresent = (body: unknown, name: string) => fieldOf(body, name) !== undefined;

function fieldOf(body: unknown, name: string): unknown {
  return body && typeof body === 'object' && Object.hasOwn(body, name) ? (body as Record<string, unknown>)[name] : undefined;
}
