import type { AppType } from '../../config/defaults.ts';
import { t, type MessageKey } from '../../i18n/index.ts';
import type { Client } from '../storage.ts';
import { reasonOf, unredirectable } from '../protocol/checks/index.ts';
import { redirectsOnlyToDevice } from '../protocol/client-documents.ts';
import { html, layout, rich, type PageBasics } from './html.ts';

export const appTypeKeys: Record<AppType, { label: MessageKey; explanation: MessageKey; consent: MessageKey }> = {
  web: { label: 'appType.web.label', explanation: 'appType.web.explanation', consent: 'appType.web.consent' },
  spa: { label: 'appType.spa.label', explanation: 'appType.spa.explanation', consent: 'appType.spa.consent' },
  native: { label: 'appType.native.label', explanation: 'appType.native.explanation', consent: 'appType.native.consent' },
  service: { label: 'appType.service.label', explanation: 'appType.service.explanation', consent: 'appType.service.consent' },
};

export interface ConsentPageData extends PageBasics {
  user: { username: string; displayName: string };
  client: Client;
  /**
   * Who registered the app: a user, by their username (unique, case folded, plain letters and
   * digits: it cannot read like the operator), or null for an app the operator registered.
   */
  ownerUsername: string | null;
  /** The person allowed this app before and only confirms (a public app: see needsConfirmation). */
  confirmOnly: boolean;
  /** Each scope with what it lets the app do, already in the page's language. */
  scopes: { name: string; description: string }[];
  /** The registered APIs (RFC 8707) the app asks to call for the person, by name and URI. */
  resources: { name: string; uri: string }[];
  /** Claims asked for by name (the claims parameter) that no granted scope already reveals, in the page's language. */
  claims: { name: string; description: string }[];
  /** The redirect URI's origin (scheme, host and port): where the person will be sent. */
  redirectOrigin: string;
  /** The stored authorization request's id: all the form carries of it. */
  requestId: string;
}

export function consentPage(data: ConsentPageData): string {
  const { client, locale } = data;
  const m = (key: MessageKey, params?: Record<string, string | number>) => t(locale, key, params);
  const type = appTypeKeys[client.appType];
  return layout({
    ...data,
    title: data.confirmOnly ? m('consent.confirm.title', { app: client.name }) : m('consent.title', { app: client.name }),
    body: html`<section class="card" aria-labelledby="app-heading">
<h2 id="app-heading" data-testid="consent-app">${client.name}</h2>
<dl class="facts">
<dt>${m('consent.type')}</dt><dd data-testid="consent-type"><strong>${type ? m(type.label) : client.appType}</strong>${
      type ? html`<br><span class="muted">${m(type.consent)}</span>` : ''
    }</dd>
${client.origin === 'document'
      ? html`<dt>${m('consent.document.host')}</dt><dd data-testid="consent-document-host"><strong class="mono">${documentHost(client)}</strong></dd>`
      : html`<dt>${m('consent.registeredBy')}</dt><dd data-testid="consent-owner">${
          client.origin === 'registration'
            ? html`<span data-testid="consent-self-registered">${m('consent.registeredBySelf')}</span>`
            : data.ownerUsername === null
              ? html`<strong class="operator-badge" data-testid="consent-operator">${m('consent.registeredByOperator')}</strong>`
              : m('consent.registeredByUser', { username: `@${data.ownerUsername}` })
        }</dd>`}
${client.homepage ? html`<dt>${m('consent.homepage')}</dt><dd><span class="mono">${client.homepage}</span></dd>` : ''}
${client.description ? html`<dt>${m('consent.description')}</dt><dd>${client.description}</dd>` : ''}
</dl>
</section>
${client.origin === 'document' ? html`<p class="box notice" data-testid="consent-unregistered">${m('consent.document.unregistered', { host: documentHost(client) })}</p>` : ''}
${client.origin === 'document' && redirectsOnlyToDevice(client) ? html`<p class="box notice" data-testid="consent-device-only">${m('consent.document.deviceOnly')}</p>` : ''}
${data.confirmOnly ? html`<p class="box notice" data-testid="consent-confirm">${m('consent.confirm.why', { app: client.name })}</p>` : ''}
<h2>${m('consent.wantsTo')}</h2>
<ul class="scopes" data-testid="consent-scopes">${data.scopes.map(
      (scope) => html`<li data-scope="${scope.name}">${scope.description} <span class="muted">(<code>${scope.name}</code>)</span></li>`,
    )}</ul>
${data.resources.length > 0 ? html`<p>${m('consent.resources')}</p>
<ul class="scopes" data-testid="consent-resources">${data.resources.map((resource) => html`<li data-resource="${resource.uri}"><strong>${resource.name}</strong> <span class="muted mono">${resource.uri}</span></li>`)}</ul>` : ''}
${data.claims.length > 0 ? html`<p>${m('consent.alsoClaims')}</p>
<ul class="scopes" data-testid="consent-claims">${data.claims.map((claim) => html`<li data-claim="${claim.name}">${claim.description} <span class="muted">(<code>${claim.name}</code>)</span></li>`)}</ul>` : ''}
<div class="box notice">
<p>${m('consent.sentTo')}</p>
<p class="destination mono" data-testid="consent-destination">${data.redirectOrigin}</p>
</div>
<p class="muted">${m('consent.signedInAs', { name: data.user.displayName, username: data.user.username })}
${rich(locale, 'consent.notYou', { link: html`<a href="/login">${m('consent.switchAccount')}</a>` })}</p>
<form method="post" action="/oauth2/authorize" class="actions">
  <input type="hidden" name="csrf_token" value="${data.csrf}">
  <input type="hidden" name="request_id" value="${data.requestId}">
  <button type="submit" name="decision" value="allow" class="primary">${data.confirmOnly ? m('consent.confirm.continue') : m('consent.allow')}</button>
  <button type="submit" name="decision" value="deny">${data.confirmOnly ? m('consent.confirm.cancel') : m('consent.deny')}</button>
</form>
<p class="hint">${m('consent.revokeLater')}</p>`,
  });
}

const reasonKeys: Record<string, MessageKey> = {
  client_id_repeated: 'authorizeError.client_id_repeated',
  client_id_missing: 'authorizeError.client_id_missing',
  client_unknown: 'authorizeError.client_unknown',
  client_document: 'authorizeError.client_document',
  redirect_uri_repeated: 'authorizeError.redirect_uri_repeated',
  redirect_uri_missing: 'authorizeError.redirect_uri_missing',
  redirect_uri_mismatch: 'authorizeError.redirect_uri_mismatch',
  request_unknown: 'authorizeError.request_unknown',
};

/** The host of a metadata-document app's client_id (the draft's §7.2: what the person is shown to know who asks). */
function documentHost(client: Pick<Client, 'id'>): string {
  return new URL(client.id).host;
}

/** Shown instead of redirecting, when the app or its redirect URI cannot be trusted. */
export function authorizationErrorPage(basics: PageBasics, description: string): string {
  const m = (key: MessageKey) => t(basics.locale, key);
  const reason = reasonOf(description);
  return layout({
    ...basics,
    title: m('authorizeError.title'),
    body: html`<p class="box error" role="alert" data-testid="error" data-reason="${reason ?? ''}">${reason ? m(reasonKeys[reason]!) : description}</p>
${reason && description !== unredirectable[reason] ? html`<p class="muted mono" data-testid="error-detail">${description.slice(unredirectable[reason].length + 1)}</p>` : ''}
<p>${m('authorizeError.explain')}</p>
<p><a href="/">${m('layout.backHome')}</a></p>`,
  });
}
