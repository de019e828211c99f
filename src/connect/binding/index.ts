import { randomToken, safeEqual, sha256 } from '../../lib/crypto.ts';
import type { ConnectIdentity, ConnectUser } from '../storage.ts';
import { ConnectConflictError, type ConnectOperations, type ConnectStore } from '../storage.ts';
import type { NormalizedIdentity, TokenSet } from '../client/types.ts';
import { checkSitePassword, hashPassword, signupWait, type Attempt } from './passwords.ts';
import { checkDisplayName, checkPassword, checkUsername, type FieldProblem } from './rules.ts';
import { sealTokens } from './tokens.ts';

export { safeReturnTo } from './rules.ts';
export { sealTokens, unsealTokens } from './tokens.ts';
export { checkSitePassword, hashPassword, verifyPassword } from './passwords.ts';

// Seed step 5, the binding decisions: has this provider account been seen? Is it bound? The
// provider's tokens are stored with the identity, sealed, and never leave the server.

export const ticketLifetime = 15 * 60;
const now = () => Math.floor(Date.now() / 1000);

export type CallbackOutcome =
  | { kind: 'signed-in'; user: ConnectUser; identity: ConnectIdentity }
  /** A signed-in person added this provider to their account. */
  | { kind: 'linked'; user: ConnectUser; identity: ConnectIdentity }
  /** Bound to another account: refused, never moved. */
  | { kind: 'link-refused'; identity: ConnectIdentity }
  /** First seen, or seen but not bound: the person registers or binds with this ticket. */
  | { kind: 'pending'; ticket: string; identity: ConnectIdentity };

export interface BindingOptions {
  tokenKey: Buffer;
  /** Bind a new identity to the one account with the same address — only if the provider verified it. Off unless the site turns it on. */
  autoLinkVerifiedEmail?: boolean;
}

/** The person and browser a ticket must come back with. */
export interface TicketHolder {
  ticket: string;
  browserHash: string;
}

export type BindingFailure =
  | { ok: false; code: 'ticket_invalid'; message: string }
  | { ok: false; code: 'username_taken' | 'identity_taken'; message: string }
  /** `retryAfter`: seconds until the account or the address may try again, when too many passwords were wrong. */
  | { ok: false; code: 'invalid_credentials'; message: string; retryAfter?: number }
  | { ok: false; code: 'invalid_field'; message: string; field: string };

/** `returnTo` is the path the login was started to return to, carried server-side by the ticket. */
export type BindingResult = { ok: true; user: ConnectUser; identity: ConnectIdentity; returnTo: string | null } | BindingFailure;

class BindingAbort extends Error {
  constructor(readonly failure: BindingFailure) {
    super(failure.message);
  }
}

function invalidField(problem: FieldProblem): BindingFailure {
  return { ok: false, code: 'invalid_field', message: problem.message, field: problem.field };
}

/** Stores the identity at once (seen or not), its tokens sealed, and decides what happens next. */
export async function resolveCallback(
  store: ConnectStore,
  options: BindingOptions,
  input: { identity: NormalizedIdentity; tokens: TokenSet; browserHash: string; linkUserId: string | null; returnTo?: string | null },
): Promise<CallbackOutcome> {
  const identity = await store.recordIdentity(input.identity);
  await store.saveIdentityTokens(identity.id, sealTokens(options.tokenKey, identity.id, input.tokens), input.tokens.expiresAt);
  if (input.linkUserId) return linkToSignedInUser(store, identity, input.linkUserId);
  if (identity.userId) {
    const user = await store.findConnectUserById(identity.userId);
    if (user) return { kind: 'signed-in', user, identity };
  }
  if (options.autoLinkVerifiedEmail) {
    const linked = await autoLinkByEmail(store, identity);
    if (linked) return linked;
  }
  return { kind: 'pending', ticket: await issueTicket(store, identity.id, input.browserHash, input.returnTo ?? null), identity };
}

async function linkToSignedInUser(store: ConnectStore, identity: ConnectIdentity, userId: string): Promise<CallbackOutcome> {
  const user = await store.findConnectUserById(userId);
  const binding = user ? await store.bindIdentity(identity.id, userId) : { outcome: 'unknown' as const };
  if (!user || binding.outcome === 'taken' || binding.outcome === 'unknown') return { kind: 'link-refused', identity };
  return { kind: 'linked', user, identity: { ...identity, userId } };
}

/** Only a verified address, and only when exactly one account has it: anything else is a guess. */
async function autoLinkByEmail(store: ConnectStore, identity: ConnectIdentity): Promise<CallbackOutcome | null> {
  const { email, emailVerified } = identity.profile;
  if (!email || !emailVerified) return null;
  const users = await store.findConnectUsersByEmail(email);
  if (users.length !== 1) return null;
  const binding = await store.bindIdentity(identity.id, users[0]!.id);
  return binding.outcome === 'bound' ? { kind: 'signed-in', user: users[0]!, identity: { ...identity, userId: users[0]!.id } } : null;
}

export async function issueTicket(store: ConnectStore, identityId: string, browserHash: string, returnTo: string | null = null): Promise<string> {
  const ticket = randomToken(32);
  const at = now();
  await store.createTicket({ ticketHash: sha256(ticket), identityId, browserHash, returnTo, createdAt: at, expiresAt: at + ticketLifetime });
  return ticket;
}

/** The pending identity a ticket stands for, without using the ticket (to show the binding page). */
export async function peekTicket(store: ConnectStore, holder: TicketHolder): Promise<ConnectIdentity | undefined> {
  const ticket = await store.findTicket(sha256(holder.ticket));
  if (!ticket || ticket.expiresAt <= now() || !safeEqual(ticket.browserHash, holder.browserHash)) return undefined;
  // Returned even when bound meanwhile, so that the page can say so instead of "expired".
  return store.findIdentity(ticket.identityId);
}

/** Uses a ticket up inside a transaction; if anything later fails the rollback brings it back. */
async function takeTicket(tx: ConnectOperations, holder: TicketHolder): Promise<{ identity: ConnectIdentity; returnTo: string | null }> {
  const ticket = await tx.takeTicket(sha256(holder.ticket));
  // Another browser's ticket is refused as if unknown: a stolen ticket must not say it exists.
  if (!ticket || ticket.expiresAt <= now() || !safeEqual(ticket.browserHash, holder.browserHash)) {
    throw new BindingAbort({ ok: false, code: 'ticket_invalid', message: 'This sign-up has expired or was already used. Please log in with the provider again.' });
  }
  const identity = await tx.findIdentity(ticket.identityId);
  if (!identity) throw new BindingAbort({ ok: false, code: 'ticket_invalid', message: 'This sign-up is no longer valid. Please log in again.' });
  return { identity, returnTo: ticket.returnTo };
}

async function bindOrAbort(tx: ConnectOperations, identity: ConnectIdentity, userId: string): Promise<void> {
  const binding = await tx.bindIdentity(identity.id, userId);
  if (binding.outcome !== 'bound') {
    throw new BindingAbort({ ok: false, code: 'identity_taken', message: 'This login was bound to another account in the meantime; nothing was created.' });
  }
}

async function inTransaction(store: ConnectStore, work: (tx: ConnectOperations) => Promise<BindingResult>): Promise<BindingResult> {
  try {
    return await store.transaction(work);
  } catch (error) {
    if (error instanceof BindingAbort) return error.failure;
    if (error instanceof ConnectConflictError) return { ok: false, code: 'username_taken', message: 'That username is taken; please choose another. Nothing was created.' };
    throw error;
  }
}

/**
 * "Create a new account": the user and the binding in one transaction. If the username is taken
 * or the identity was bound meanwhile, nothing is kept — not the user, not the used ticket.
 */
export async function registerAndBind(
  store: ConnectStore,
  input: TicketHolder & { username: string; displayName: string; password?: string; email?: string | null },
): Promise<BindingResult> {
  const problem = checkUsername(input.username) ?? checkDisplayName(input.displayName) ?? (input.password ? checkPassword(input.password) : null);
  if (problem) return invalidField(problem);
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return inTransaction(store, async (tx) => {
    const { identity, returnTo } = await takeTicket(tx, input);
    const user = await tx.createConnectUser({
      username: input.username, displayName: input.displayName.trim(), passwordHash,
      // An address the provider did not verify is not the site's to trust.
      email: input.email ?? (identity.profile.emailVerified ? identity.profile.email : null),
    });
    await bindOrAbort(tx, identity, user.id);
    return { ok: true, user, identity: { ...identity, userId: user.id }, returnTo };
  });
}

/** "Bind to an account I have": the account's password proves it is theirs. */
export async function loginAndBind(store: ConnectStore, input: TicketHolder & Attempt & { username: string; password: string }): Promise<BindingResult> {
  const check = await checkSitePassword(store, input.username, input.password, input);
  if (!check.ok) return { ok: false, code: 'invalid_credentials', ...passwordRefusal(check) };
  const { user } = check;
  return inTransaction(store, async (tx) => {
    const { identity, returnTo } = await takeTicket(tx, input);
    await bindOrAbort(tx, identity, user.id);
    return { ok: true, user, identity: { ...identity, userId: user.id }, returnTo };
  });
}

export type LocalResult =
  | { ok: true; user: ConnectUser }
  | BindingFailure
  /** Too many sign-ups from this address: try again in `retryAfter` seconds. */
  | { ok: false; code: 'too_many_signups'; message: string; retryAfter: number };

export async function registerLocalUser(
  store: ConnectStore,
  input: Attempt & { username: string; displayName: string; password: string; email?: string | null },
): Promise<LocalResult> {
  const problem = checkUsername(input.username) ?? checkDisplayName(input.displayName) ?? checkPassword(input.password);
  if (problem) return invalidField(problem);
  // Counted before the password is hashed: that hash is what a flood of sign-ups would cost.
  const wait = await signupWait(store, input);
  if (wait > 0) return { ok: false, code: 'too_many_signups', message: `Too many accounts were created from your network; try again in ${Math.ceil(wait / 60)} minutes.`, retryAfter: wait };
  try {
    const user = await store.createConnectUser({
      username: input.username, displayName: input.displayName.trim(), passwordHash: await hashPassword(input.password), email: input.email ?? null,
    });
    return { ok: true, user };
  } catch (error) {
    if (error instanceof ConnectConflictError) return { ok: false, code: 'username_taken', message: 'That username is taken; please choose another.' };
    throw error;
  }
}

function passwordRefusal(check: { locked: boolean; retryAfter: number }): { message: string; retryAfter?: number } {
  if (!check.locked) return { message: 'Wrong username or password.' };
  return { message: `Too many wrong passwords; try again in ${Math.ceil(check.retryAfter / 60)} minutes.`, retryAfter: check.retryAfter };
}

export type LocalLogin = { ok: true; user: ConnectUser } | { ok: false; message: string; retryAfter?: number };

export async function authenticateLocalUser(store: ConnectStore, username: string, password: string, attempt: Attempt = {}): Promise<LocalLogin> {
  const check = await checkSitePassword(store, username, password, attempt);
  return check.ok ? check : { ok: false, ...passwordRefusal(check) };
}

export type UnbindResult = { ok: true } | { ok: false; code: 'last_login_method' | 'not_found'; message: string };

/** Unbinding the last way to log in (no password, no other provider) is refused. */
export async function unbindIdentity(store: ConnectStore, userId: string, identityId: string): Promise<UnbindResult> {
  const result = await store.transaction(async (tx) => {
    await tx.lockConnectUser(userId);
    return tx.unbindIdentity(identityId, userId);
  });
  if (result.outcome === 'unbound') {
    await store.saveIdentityTokens(identityId, null, null);
    return { ok: true };
  }
  if (result.outcome === 'last-login-method') {
    return { ok: false, code: 'last_login_method', message: 'This is your only way to log in; set a password or bind another login first.' };
  }
  return { ok: false, code: 'not_found', message: 'That login is not bound to your account.' };
}
