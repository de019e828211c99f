import { hash, verify } from '@node-rs/argon2';
import { defaults } from '../../config/defaults.ts';
import type { ConnectUser } from '../storage.ts';
import type { ConnectOperations } from '../storage.ts';

// The site's own passwords: Argon2id with the same parameters as the provider's.

export function hashPassword(password: string): Promise<string> {
  return hash(password, { ...defaults.argon2, algorithm: 2 /* Argon2id */ });
}

// Verified against when the username is unknown, so that the answer takes as long either way.
let decoy: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (passwordHash === null) {
    await verify(await (decoy ??= hashPassword('decoy password')), password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}

const now = () => Math.floor(Date.now() / 1000);

export type PasswordCheck = { ok: true; user: ConnectUser } | { ok: false; locked: boolean; retryAfter: number };

/**
 * The site's one password check (the login form and "bind to an account I have"). Attempts are
 * counted per username in the store's login_failures table, under keys of their own, atomically and
 * before the password is checked, so that guesses sent in parallel each see their own count. The
 * attempt that reaches `lockAfterFailures` within the window is still checked; while the lock
 * lasts, every further attempt is refused without a check. A right password clears the count.
 */
export async function checkSitePassword(store: ConnectOperations, username: string, password: string): Promise<PasswordCheck> {
  const policy = defaults.login;
  const key = `connect:user:${username.toLowerCase()}`;
  const at = now();
  const counted = await store.countLoginAttempt(key, { windowSeconds: policy.windowSeconds, lockAfter: policy.lockAfterFailures, lockSeconds: policy.lockSeconds });
  if (counted.lockedUntil !== null && counted.lockedUntil > at && counted.failures > policy.lockAfterFailures) {
    return { ok: false, locked: true, retryAfter: counted.lockedUntil - at };
  }
  const user = await store.findConnectUserByUsername(username);
  if (user && (await verifyPassword(user.passwordHash, password))) {
    await store.clearLoginFailures([key]);
    return { ok: true, user };
  }
  if (!user) await verifyPassword(null, password);
  return { ok: false, locked: false, retryAfter: 0 };
}
