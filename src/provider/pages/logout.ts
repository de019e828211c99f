import { t, type MessageKey } from '../../i18n/index.ts';
import { html, layout, type PageBasics } from './html.ts';

// The pages of RP-initiated logout: the question (when the request may not be the app's), and the
// refusal of a request that cannot be followed. The parameters travel back in the form as they
// came, and are checked again when it is posted.

export interface LogoutQuestion {
  /** The app that asks, when the request names one. */
  appName?: string;
  /** The request's parameters, to post back with the answer. */
  parameters: Record<string, string>;
}

export function logoutQuestionPage(basics: PageBasics, question: LogoutQuestion): string {
  const m = (key: MessageKey, params?: Record<string, string>) => t(basics.locale, key, params);
  const hidden = Object.entries(question.parameters).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return layout({
    ...basics,
    title: m('logout.title'),
    body: html`<p data-testid="logout-question">${question.appName ? m('logout.questionApp', { app: question.appName }) : m('logout.question')}</p>
<form method="post" action="/oauth2/logout">
  <input type="hidden" name="csrf_token" value="${basics.csrf}">
  <input type="hidden" name="confirm" value="yes">
  ${hidden}
  <button type="submit" class="primary">${m('logout.submit')}</button>
  <a href="/">${m('logout.stay')}</a>
</form>`,
  });
}

export function logoutErrorPage(basics: PageBasics, description: string): string {
  const m = (key: MessageKey) => t(basics.locale, key);
  return layout({
    ...basics,
    title: m('logout.error.title'),
    // The description is for the app's developer, in English like every OAuth error description.
    body: html`<p class="box error" role="alert" data-testid="error">${description}</p>
<p><a href="/">${m('layout.backHome')}</a></p>`,
  });
}
