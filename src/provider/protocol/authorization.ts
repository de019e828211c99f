import { decodeJwt } from 'jose';
import { deriveKey, randomToken, seal, sha256, unseal } from '../../lib/crypto.ts';
import type { ProviderContext } from '../context.ts';
import type { AuthorizationParameters, AuthorizationRequestRecord, RememberedConsent, User } from '../storage.ts';
import { checkAuthorizationRequest, unredirectable, type AuthorizationRequest, type CheckOutcome } from './checks/index.ts';
import { maxAgeOf } from './checks/max-age.ts';
import { prompts } from './checks/prompt.ts';
import { isConfidential, registeredRedirectUri } from './clients.ts';
import { OAuthError } from './errors.ts';
import { grantForResponseType } from './grants/index.ts';
import { sessionIdOf } from './backchannel-logout.ts';
import { claimsBeyondScopes } from './claims.ts';
import { formatScope, isSubset } from './scopes.ts';
import { subjectOf } from './subject.ts';

// The authorization endpoint (RFC 6749 §4.1, §4.2) without HTTP. A request is checked; a person
// who is signed in and has already allowed what it asks is answered at once (no row is written).
// Otherwise the checked request is stored, bound to the browser, and login and consent carry only
// its handle: they never re-send its parameters, so none can be changed or dropped on the way.
// What the HTTP layer does with each step — a page, a redirect — is up to it.

/** The person signed in on this browser, as the authorization endpoint needs them. */
export interface SignedIn {
  user: User;
  /** When they signed in (their session's start), seconds since the epoch. */
  authTime: number;
  /** Their provider session's stored hash, from which each app's sid of it is derived (./backchannel-logout.ts). */
  sessionHash: string;
  /** How they signed in (RFC 8176 method references: pwd for a password). */
  amr: string[];
  /** What they allowed this app before (scopes, for which redirect URIs), if it is remembered. */
  consent: RememberedConsent | undefined;
}

export interface AuthorizationInput {
  /** Reads the session of this browser, with the consent given the app, in one statement. */
  signedIn(clientId: string): Promise<SignedIn | null>;
  /** This browser's binding id (a cookie), made when there is none yet. */
  browserId(): string;
}

/** A request checked at the authorization endpoint, whose checks establish where and how to answer. */
export type RedirectingRequest = AuthorizationRequest & { redirectUri: string; responseType: string };

function atAuthorize(request: AuthorizationRequest): RedirectingRequest {
  if (request.redirectUri === undefined || request.responseType === undefined) throw new Error('the authorization endpoint\'s checks establish a redirect URI and a response type');
  return request as RedirectingRequest;
}

export type AuthorizationStep =
  /** Shown on Grantry's own page, never sent to the app: the client or redirect URI is not to be trusted, or the request is gone. */
  | { step: 'error_page'; description: string }
  /** To the app: its answer, or an error it may receive. */
  | { step: 'redirect'; location: string }
  /**
   * The person must sign in first, then come back to the stored request. `anotherAccount`: they
   * chose to sign in as someone else than the person signed in, so nothing is filled in for them
   * (not even the app's login_hint).
   */
  | { step: 'login'; requestId: string; anotherAccount?: true }
  /**
   * prompt=select_account with someone signed in (OpenID Connect Core §3.1.2.1): the person
   * chooses between going on as `user` and signing in as someone else (chooseAccount).
   */
  | { step: 'select_account'; requestId: string; request: RedirectingRequest; user: User }
  /**
   * The person must decide: allow what is asked, or — when they allowed it before but the app is
   * public, so that nothing proves who is asking — confirm with one click (`confirmOnly`).
   */
  | { step: 'consent'; requestId: string; request: RedirectingRequest; user: User; confirmOnly: boolean };

const now = () => Math.floor(Date.now() / 1000);

/** GET /oauth2/authorize: a new request. */
export async function beginAuthorization(ctx: ProviderContext, params: AuthorizationParameters, input: AuthorizationInput): Promise<AuthorizationStep> {
  const checked = await checkAuthorizationRequest(ctx, 'authorize', params);
  if (checked.outcome !== 'valid') return failedCheck(ctx, checked);
  const request = atAuthorize(checked.request);
  const session = await input.signedIn(request.client.id);
  if (prompts(request.parameters, 'none')) return answerWithoutPage(ctx, request, session);
  if (session && !wantsFreshLogin(ctx, request, session) && !wantsAccountChoice(request, session) && !needsConsent(request, session.consent) && !needsConfirmation(request)) {
    return { step: 'redirect', location: await approve(ctx, request, session, { remember: false }) };
  }
  const requestId = await storeRequest(ctx, request, input.browserId());
  if (!session || wantsFreshLogin(ctx, request, session)) return { step: 'login', requestId };
  if (wantsAccountChoice(request, session)) return { step: 'select_account', requestId, request, user: session.user };
  return { step: 'consent', requestId, request, user: session.user, confirmOnly: !needsConsent(request, session.consent) };
}

/**
 * prompt=none (OpenID Connect Core §3.1.2.6): the answer at once, or an error at the redirect URI —
 * never a page, and nothing stored. No one signed in, or a sign-in older than max_age:
 * login_required; something to allow or confirm first: consent_required.
 */
async function answerWithoutPage(ctx: ProviderContext, request: RedirectingRequest, session: SignedIn | null): Promise<AuthorizationStep> {
  const refuse = (code: 'login_required' | 'consent_required', description: string): AuthorizationStep => ({
    step: 'redirect',
    location: errorLocation(ctx, request.redirectUri, new OAuthError(code, description), request.parameters.state, responseModeOf(ctx, request)),
  });
  if (!session) return refuse('login_required', 'nobody is signed in, and prompt=none allows no login page');
  if (signedInTooLongAgo(request, session)) return refuse('login_required', 'the sign-in is older than max_age, and prompt=none allows no login page');
  if (hintsAnotherPerson(ctx, request, session)) return refuse('login_required', 'the person signed in is not the one id_token_hint names, and prompt=none allows no login page');
  if (needsConsent(request, session.consent) || needsConfirmation(request)) return refuse('consent_required', 'the person has to allow this first, and prompt=none allows no consent page');
  return { step: 'redirect', location: await approve(ctx, request, session, { remember: false }) };
}

/**
 * Whether the person must sign in again before this request is answered: the app asked for a
 * fresh sign-in (prompt=login), its id_token_hint names someone else, or
 * the sign-in they have is older than its max_age. `since`: for a stored request, a sign-in made after it was stored is fresh enough.
 */
function wantsFreshLogin(ctx: ProviderContext, request: RedirectingRequest, session: SignedIn, since?: number): boolean {
  // A sign-in made after the request was stored is the fresh one it asked for, however long the
  // person then took over the consent page (or max_age=0 would never be satisfied).
  if (since !== undefined && session.authTime >= since) return false;
  if (signedInTooLongAgo(request, session)) return true;
  return prompts(request.parameters, 'login') || hintsAnotherPerson(ctx, request, session);
}

/**
 * Whether the person signed in must first say that they are the one to go on as
 * (prompt=select_account): not when nobody is signed in (the login page is the choice), nor for a
 * stored request after a sign-in made since it was stored (that sign-in was the choice).
 */
function wantsAccountChoice(request: RedirectingRequest, session: SignedIn, since?: number): boolean {
  if (since !== undefined && session.authTime >= since) return false;
  return prompts(request.parameters, 'select_account');
}

/** Whether id_token_hint (checked by checks/id-token-hint.ts) names someone else than the person signed in. */
function hintsAnotherPerson(ctx: ProviderContext, request: RedirectingRequest, session: SignedIn): boolean {
  const hint = request.parameters.id_token_hint;
  // The hint names the person as this app knows them: by its pairwise subject, if it has them (./subject.ts).
  return hint !== undefined && decodeJwt(hint).sub !== subjectOf(ctx, request.client, session.user.id);
}

function signedInTooLongAgo(request: RedirectingRequest, session: SignedIn): boolean {
  const maxAge = maxAgeOf(request.parameters);
  return maxAge !== undefined && now() - session.authTime > maxAge;
}

/** After login: the stored request, taken up where it waited. */
export async function continueAuthorization(ctx: ProviderContext, requestId: string, input: AuthorizationInput): Promise<AuthorizationStep> {
  const resumed = await resume(ctx, requestId, input);
  if ('step' in resumed) return resumed;
  const { request, session, storedAt } = resumed;
  // prompt=select_account and no sign-in since the request: the choice is still to be made.
  if (wantsAccountChoice(request, session, storedAt)) return { step: 'select_account', requestId, request, user: session.user };
  return proceed(ctx, requestId, request, session);
}

/**
 * The account chooser's answer (prompt=select_account). The HTTP layer has checked the form's CSRF
 * token. "Another account": the login page, with nothing filled in; a sign-in made there is the
 * choice. "Continue": on as the person signed in — if they are still the one the page named
 * (`userId`); someone else signed in since, in another tab, is asked about afresh.
 */
export async function chooseAccount(
  ctx: ProviderContext,
  requestId: string,
  input: AuthorizationInput & { choice: 'continue' | 'another'; userId: string },
): Promise<AuthorizationStep> {
  const resumed = await resume(ctx, requestId, input);
  if ('step' in resumed) return resumed;
  const { request, session } = resumed;
  if (input.choice === 'another') return { step: 'login', requestId, anotherAccount: true };
  if (session.user.id !== input.userId) return { step: 'select_account', requestId, request, user: session.user };
  return proceed(ctx, requestId, request, session);
}

/** The person signed in is the one to go on as: ask what is still to be asked, or answer the app. */
async function proceed(ctx: ProviderContext, requestId: string, request: RedirectingRequest, session: SignedIn): Promise<AuthorizationStep> {
  if (needsConsent(request, session.consent)) return { step: 'consent', requestId, request, user: session.user, confirmOnly: false };
  if (needsConfirmation(request)) return { step: 'consent', requestId, request, user: session.user, confirmOnly: true };
  if (!(await complete(ctx, requestId, session))) return requestGone();
  return { step: 'redirect', location: await approve(ctx, request, session, { remember: false }) };
}

/** The consent form: Allow or Deny, once. The HTTP layer has checked the form's CSRF token. */
export async function decideAuthorization(
  ctx: ProviderContext,
  requestId: string,
  input: AuthorizationInput & { allow: boolean },
): Promise<AuthorizationStep & { approved?: RedirectingRequest }> {
  const resumed = await resume(ctx, requestId, input);
  if ('step' in resumed) return resumed;
  const { request, session } = resumed;
  // Single use: a form sent twice, or by two tabs, is answered once.
  if (!(await complete(ctx, requestId, session))) return requestGone();
  if (!input.allow) {
    const denied = new OAuthError('access_denied', 'the user denied the request');
    return { step: 'redirect', location: errorLocation(ctx, request.redirectUri, denied, request.parameters.state, responseModeOf(ctx, request)) };
  }
  return { step: 'redirect', location: await approve(ctx, request, session, { remember: true }), approved: request };
}

/**
 * Takes a stored request up again, on the way back from login and from the consent form alike: it
 * must be this browser's and still waiting, pass its checks again (the app may have changed
 * since), and have a person signed in — for `prompt=login`, one who signed in after the request
 * was made, and within max_age, so that neither way round can skip the fresh sign-in the app asked for.
 */
async function resume(ctx: ProviderContext, requestId: string, input: AuthorizationInput): Promise<AuthorizationStep | { request: RedirectingRequest; session: SignedIn; storedAt: number }> {
  const stored = await findStoredRequest(ctx, requestId, input);
  if (!stored) return requestGone();
  const checked = await checkAuthorizationRequest(ctx, 'authorize', stored.parameters);
  if (checked.outcome !== 'valid') return failedCheck(ctx, checked);
  const request = atAuthorize(checked.request);
  const session = await input.signedIn(request.client.id);
  if (!session || wantsFreshLogin(ctx, request, session, stored.createdAt)) return { step: 'login', requestId };
  // Signed in afresh, but as someone else than the id_token_hint names: Core §3.1.2.1 says to refuse.
  if (hintsAnotherPerson(ctx, request, session)) {
    const error = new OAuthError('login_required', 'the person who signed in is not the one id_token_hint names');
    return { step: 'redirect', location: errorLocation(ctx, request.redirectUri, error, request.parameters.state, responseModeOf(ctx, request)) };
  }
  return { request, session, storedAt: stored.createdAt };
}

/**
 * Whether the person must be asked: the app asked to ask, or nothing remembered covers these
 * scopes at this redirect URI. A remembered consent holds for the redirect URIs it was given for:
 * one the app's owner added since (or an attacker who took over the owner's console) asks again.
 */
export function needsConsent(request: RedirectingRequest, remembered: RememberedConsent | undefined): boolean {
  if (prompts(request.parameters, 'consent')) return true;
  if (remembered === undefined || !isSubset(request.scope, remembered.scope)) return true;
  // A consent holds for the APIs (RFC 8707) it named: another API, even with a scope of the same name, is asked about.
  if (!(request.facts.audience ?? []).every((uri) => remembered.resources.includes(uri))) return true;
  // Claims asked for by name are not remembered: the person is asked each time an app names them.
  if (claimsBeyondScopes(request.scope, request.facts.claims).length > 0) return true;
  return !remembered.redirectUris.includes(consentRedirectUri(request));
}

/**
 * Whether a person who allowed this app before must still confirm with one click. A public app
 * (spa, native) proves nothing but its client_id, which any process on the device can send: were
 * a remembered consent enough, any of them would get a code with no page shown (RFC 8252 §8.6,
 * RFC 6749 §10.2). An operator may turn this off for an app (silentReturning).
 */
export function needsConfirmation(request: RedirectingRequest): boolean {
  return !isConfidential(request.client) && !request.client.silentReturning;
}

/** The redirect URI a consent is remembered for: the registered one (a native app's loopback URI without its port). */
function consentRedirectUri(request: RedirectingRequest): string {
  return registeredRedirectUri(request.client, request.redirectUri) ?? request.redirectUri;
}

/** The person allowed: remember it if they chose to, and answer the app in its grant's way (a code, or for the implicit grant a token). */
async function approve(ctx: ProviderContext, request: RedirectingRequest, session: SignedIn, options: { remember: boolean }): Promise<string> {
  // A one-click confirmation of what is remembered already writes nothing.
  if (options.remember && needsConsent(request, session.consent)) {
    const scopes = new Set([...(session.consent?.scope.split(' ').filter(Boolean) ?? []), ...request.scope]);
    const redirectUris = new Set([...(session.consent?.redirectUris ?? []), consentRedirectUri(request)]);
    const resources = new Set([...(session.consent?.resources ?? []), ...(request.facts.audience ?? [])]);
    await ctx.store.consents.save(session.user.id, request.client.id, { scope: formatScope(scopes), redirectUris: [...redirectUris], resources: [...resources] });
  }
  const grant = grantForResponseType(ctx.config, request.responseType)!;
  const response = await grant.authorization!.respond(ctx, { request, user: session.user, signIn: { authTime: session.authTime, sid: sessionIdOf(session.sessionHash, request.client.id), amr: session.amr } });
  return withParams(request.redirectUri, response.mode, { ...response.params, state: request.parameters.state, iss: ctx.config.issuer });
}

// ── the stored request ──────────────────────────────────────────────────────────────────────

/** Stores a checked request for this browser; returns its handle, the only thing login and consent carry. */
async function storeRequest(ctx: ProviderContext, request: AuthorizationRequest, browserId: string): Promise<string> {
  const handle = randomToken(32);
  const handleHash = sha256(handle);
  const at = now();
  await ctx.store.requests.create({
    handleHash,
    clientId: request.client.id,
    sealedParameters: seal(requestKey(ctx), JSON.stringify(request.parameters), handleHash),
    browserHash: sha256(browserId),
    createdAt: at,
    expiresAt: at + ctx.config.authorizationRequestLifetime,
  });
  return handle;
}

/** A request still waiting in this browser, for the pages shown on its way (the login page's language). */
export async function pendingRequest(ctx: ProviderContext, requestId: string, browserId: string): Promise<Readonly<Record<string, string>> | undefined> {
  return (await findStoredRequest(ctx, requestId, { browserId: () => browserId }))?.parameters;
}

/** The parameters of a stored request, unsealed. */
export function storedParameters(ctx: ProviderContext, stored: AuthorizationRequestRecord): Record<string, string> {
  return JSON.parse(unseal(requestKey(ctx), stored.sealedParameters, stored.handleHash)) as Record<string, string>;
}

const requestKeys = new WeakMap<ProviderContext, Buffer>();
function requestKey(ctx: ProviderContext): Buffer {
  let key = requestKeys.get(ctx);
  if (!key) requestKeys.set(ctx, (key = deriveKey(ctx.config.secret, 'authorization-requests')));
  return key;
}

/** The stored request, if it is this browser's, still waiting and not yet answered, with its parameters. */
async function findStoredRequest(ctx: ProviderContext, requestId: string, input: Pick<AuthorizationInput, 'browserId'>): Promise<(AuthorizationRequestRecord & { parameters: Record<string, string> }) | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(requestId)) return undefined;
  const stored = await ctx.store.requests.find(sha256(requestId));
  if (!stored || stored.completedAt !== null || stored.expiresAt <= now()) return undefined;
  // Bound to the browser that made it: a handle that leaked (a shared link, a log) is of no use elsewhere.
  if (stored.browserHash === null || stored.browserHash !== sha256(input.browserId())) return undefined;
  try {
    return { ...stored, parameters: storedParameters(ctx, stored) };
  } catch {
    // Sealed under another GRANTRY_SECRET (it changed while the request waited): a request gone.
    return undefined;
  }
}

async function complete(ctx: ProviderContext, requestId: string, session: SignedIn): Promise<boolean> {
  return ctx.store.requests.complete(sha256(requestId), { userId: session.user.id, authTime: session.authTime, at: now() });
}

function requestGone(): AuthorizationStep {
  return { step: 'error_page', description: unredirectable.request_unknown };
}

function failedCheck(ctx: ProviderContext, checked: Exclude<CheckOutcome, { outcome: 'valid' }>): AuthorizationStep {
  if (checked.outcome === 'unredirectable') return { step: 'error_page', description: checked.error.description };
  if (checked.outcome === 'json') return { step: 'error_page', description: checked.error.description };
  return { step: 'redirect', location: errorLocation(ctx, checked.redirectUri, checked.error, checked.state, checked.responseMode) };
}

function responseModeOf(ctx: ProviderContext, request: RedirectingRequest): 'query' | 'fragment' {
  return grantForResponseType(ctx.config, request.responseType, { includeDisabled: true })?.authorization?.responseMode ?? 'query';
}

function errorLocation(ctx: ProviderContext, redirectUri: string, error: OAuthError, state: string | undefined, mode: 'query' | 'fragment'): string {
  return withParams(redirectUri, mode, { error: error.code, error_description: error.description, state, iss: ctx.config.issuer });
}

function withParams(uri: string, mode: 'query' | 'fragment', params: Record<string, string | number | undefined>): string {
  const url = new URL(uri);
  const values = new URLSearchParams(mode === 'query' ? url.search : '');
  for (const [name, value] of Object.entries(params)) if (value !== undefined) values.set(name, String(value));
  if (mode === 'query') url.search = values.toString();
  else url.hash = values.toString();
  return url.toString();
}

