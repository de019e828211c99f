import type { Client } from '../../store/index.ts';
import { html, layout } from './html.ts';

const appTypeWords: Record<string, string> = {
  web: 'a website (server-side app)',
  spa: 'a browser app',
  native: 'a mobile or desktop app',
  service: 'a machine-to-machine service',
};

export interface ConsentPageData {
  user: { username: string; displayName: string };
  client: Client;
  ownerName: string | null;
  scopes: { name: string; description: string }[];
  redirectHost: string;
  /** The authorization request's parameters, carried through the form unchanged. */
  params: Record<string, string>;
  csrf: string;
}

export function consentPage(data: ConsentPageData): string {
  const { client } = data;
  return layout({
    title: `Allow ${client.name}?`,
    user: data.user,
    csrf: data.csrf,
    body: html`
<p><strong>${client.name}</strong> — ${appTypeWords[client.appType] ?? client.appType}${
      data.ownerName ? html`, registered by <strong>${data.ownerName}</strong>` : html`, registered by the operator of this site`
    } — wants to:</p>
<ul>${data.scopes.map((scope) => html`<li>${scope.description} <span class="muted">(<code>${scope.name}</code>)</span></li>`)}</ul>
<p class="muted">Signed in as ${data.user.displayName} (${data.user.username}). After you decide you will be sent to <code>${data.redirectHost}</code>.</p>
${client.description ? html`<p class="muted">${client.description}</p>` : ''}
<form method="post" action="/oauth2/authorize">
  <input type="hidden" name="csrf_token" value="${data.csrf}">
  ${Object.entries(data.params).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
  <button type="submit" name="decision" value="allow" class="primary">Allow</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  });
}

export function authorizationErrorPage(description: string): string {
  return layout({
    title: 'This sign-in request cannot go on',
    body: html`<p class="error">${description}</p>
<p>The app that sent you here may be misconfigured. You have not been sent back to it, because its address could not be trusted.</p>`,
  });
}
