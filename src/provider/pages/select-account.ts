import { t, type MessageKey } from '../../i18n/index.ts';
import { html, layout, type PageBasics } from './html.ts';

// The account chooser of prompt=select_account (OpenID Connect Core §3.1.2.1): who is signed in,
// and two answers, one form. The form names the stored request and the person shown, so that the
// answer is taken for that request and that person only (see chooseAccount).

export interface SelectAccountView extends PageBasics {
  /** The person signed in, whom the page offers to go on as. */
  account: { id: string; username: string; displayName: string };
  appName: string;
  /** The stored authorization request's id: all the form carries of it. */
  requestId: string;
}

export function selectAccountPage(view: SelectAccountView): string {
  const m = (key: MessageKey, params?: Record<string, string>) => t(view.locale, key, params);
  const { account } = view;
  return layout({
    ...view,
    title: m('selectAccount.title'),
    body: html`<p>${m('selectAccount.for', { app: view.appName })}</p>
<p class="box notice" data-testid="select-account-current">${m('selectAccount.signedInAs', { name: account.displayName, username: account.username })}</p>
<form method="post" action="/oauth2/authorize/select" class="actions">
  <input type="hidden" name="csrf_token" value="${view.csrf}">
  <input type="hidden" name="request_id" value="${view.requestId}">
  <input type="hidden" name="account" value="${account.id}">
  <button type="submit" name="choice" value="continue" class="primary">${m('selectAccount.continue', { name: account.displayName })}</button>
  <button type="submit" name="choice" value="another">${m('selectAccount.another')}</button>
</form>`,
  });
}
