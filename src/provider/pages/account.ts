import type { AuthorizedApp } from '../../store/index.ts';
import { csrfField, formatDate, html, layout, type Html } from './html.ts';

// "Connected apps": the apps a person allowed to use their account, and a way to take that back.

export interface ConnectedAppsView {
  user: { username: string };
  csrf: string;
  apps: AuthorizedApp[];
  /** scope name → what it lets an app see */
  scopes: Record<string, string>;
  notice?: string;
}

export function connectedAppsPage(view: ConnectedAppsView): string {
  return layout({
    title: 'Connected apps',
    user: view.user,
    csrf: view.csrf,
    body: html`${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
<p>These apps may use your account, within what you allowed. Removing an app’s access ends it at once:
its tokens stop working, and it has to ask you again.</p>
${view.apps.length === 0 ? html`<p class="muted">No app has access to your account.</p>` : view.apps.map((app) => appEntry(app, view))}`,
  });
}

function appEntry(app: AuthorizedApp, view: ConnectedAppsView): Html {
  const { client } = app;
  const name = client.homepage
    ? html`<a href="${client.homepage}" rel="noopener noreferrer">${client.name}</a>`
    : html`${client.name}`;
  const scopes = app.scope
    .split(' ')
    .filter(Boolean)
    .map((scope) => html`<li><code>${scope}</code>${view.scopes[scope] ? html`: ${view.scopes[scope]}` : ''}</li>`);
  return html`<section class="connected-app">
<h2>${name}</h2>
<p>It may:</p>
<ul>${scopes}</ul>
<p class="muted">First allowed ${formatDate(app.firstAuthorizedAt)}${
    app.lastAuthorizedAt !== app.firstAuthorizedAt ? html`; last allowed ${formatDate(app.lastAuthorizedAt)}` : ''
  }.</p>
<form method="post" action="/account/apps/${encodeURIComponent(client.id)}/revoke">
${csrfField(view.csrf)}
<button type="submit">Remove access</button>
</form>
</section>`;
}
