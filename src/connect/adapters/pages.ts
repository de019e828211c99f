import type { ConnectIdentity } from '../storage.ts';
import { escapeHtml as e, type ConnectRequest } from './http.ts';

// The two pages the library shows itself. Plain and unstyled on purpose: a site that wants its own
// look serves its own pages and uses the JSON routes or the functions in ../binding/.

function layout(title: string, content: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title></head><body><main>${content}</main></body></html>`;
}

export interface PendingPageInput {
  basePath: string;
  providerName: string;
  identity: ConnectIdentity;
  message?: string;
  /** Why the last attempt failed, as a code a site can translate (username_taken, invalid_credentials, …). */
  code?: string;
  username?: string;
}

export interface ErrorPageInput {
  status: number;
  /** A stable code for the message (access_denied, unknown_state, …), for a site that words it itself. */
  code: string;
  message: string;
  backTo: string;
}

/** A site's own rendering of the two pages, in its own look and language; the request tells it which. */
export interface ConnectPages {
  pending(input: PendingPageInput, request: ConnectRequest): string;
  error(input: ErrorPageInput, request: ConnectRequest): string;
}

export const defaultPages: ConnectPages = {
  pending: (input) => pendingPage(input),
  error: (input) => errorPage(input.status, input.message, input.backTo),
};

export function pendingPage(input: PendingPageInput): string {
  const { profile } = input.identity;
  const name = profile.name ?? '';
  return layout(
    'Finish logging in',
    `<h1>Finish logging in with ${e(input.providerName)}</h1>
<p>You are logged in at ${e(input.providerName)}${name ? ` as <strong>${e(name)}</strong>` : ''}, and this site does not know you yet.</p>
${input.message ? `<p role="alert" class="error">${e(input.message)}</p>` : ''}
<section><h2>Create a new account</h2>
<form method="post" action="${e(input.basePath)}/pending/register">
<label>Username <input name="username" required value="${e(input.username ?? '')}" autocomplete="username"></label>
<label>Display name <input name="displayName" required value="${e(name)}"></label>
<button type="submit">Create account</button></form></section>
<section><h2>Bind to an account I have</h2>
<form method="post" action="${e(input.basePath)}/pending/bind">
<label>Username <input name="username" required autocomplete="username"></label>
<label>Password <input name="password" type="password" required autocomplete="current-password"></label>
<button type="submit">Log in and bind</button></form></section>`,
  );
}

export function errorPage(status: number, message: string, backTo: string): string {
  return layout('Logging in did not work', `<h1>Logging in did not work</h1><p role="alert" class="error">${e(message)}</p><p><a href="${e(backTo)}">Back</a></p><!-- ${status} -->`);
}
