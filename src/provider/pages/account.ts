import { t, type MessageKey } from '../../i18n/index.ts';
import type { AuthorizedApp } from '../storage.ts';
import { csrfField, formatDate, html, layout, type Html, type PageBasics } from './html.ts';
import { scopeWords } from './scopes.ts';

// "Connected apps": the apps a person allowed to use their account, and a way to take that back.

export interface ConnectedAppsView extends PageBasics {
  user: { username: string };
  apps: AuthorizedApp[];
  /** scope name → what it lets an app see, as configured */
  scopes: Record<string, string>;
  notice?: string;
}

export function connectedAppsPage(view: ConnectedAppsView): string {
  const m = (key: MessageKey) => t(view.locale, key);
  return layout({
    ...view,
    title: m('account.title'),
    body: html`${view.notice ? html`<p class="box notice" role="status" data-testid="notice">${view.notice}</p>` : ''}
<p>${m('account.intro')}</p>
${view.apps.length === 0 ? html`<p class="muted" data-testid="no-apps">${m('account.none')}</p>` : view.apps.map((app) => appEntry(app, view))}`,
  });
}

function appEntry(app: AuthorizedApp, view: ConnectedAppsView): Html {
  const { client } = app;
  const { locale } = view;
  const m = (key: MessageKey, params?: Record<string, string>) => t(locale, key, params);
  const headingId = `app-${client.id}`;
  const name = client.homepage
    ? html`<a href="${client.homepage}" rel="noopener noreferrer">${client.name}</a>`
    : html`${client.name}`;
  const scopes = app.scope
    .split(' ')
    .filter(Boolean)
    .map((scope) => html`<li>${scopeWords(locale, scope, view.scopes)} <span class="muted">(<code>${scope}</code>)</span></li>`);
  return html`<section class="card connected-app" aria-labelledby="${headingId}" data-testid="connected-app" data-client-id="${client.id}">
<h2 id="${headingId}">${name}</h2>
<p>${m('account.mayDo')}</p>
<ul class="scopes">${scopes}</ul>
<p class="muted">${m('account.firstAllowed', { date: formatDate(app.firstAuthorizedAt) })}${
    app.lastAuthorizedAt !== app.firstAuthorizedAt ? html` ${m('account.lastAllowed', { date: formatDate(app.lastAuthorizedAt) })}` : ''
  }</p>
<form method="post" action="/account/apps/${encodeURIComponent(client.id)}/revoke">
${csrfField(view.csrf)}
<button type="submit" class="danger" aria-describedby="${headingId}">${m('account.revoke')}</button>
<span class="hint">${m('account.revokeExplain')}</span>
</form>
</section>`;
}
