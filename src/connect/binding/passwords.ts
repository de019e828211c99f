import { hash, verify } from '@node-rs/argon2';
import { throttledAddress } from '../../lib/address.ts';
import { bucketRetryAfter } from '../../lib/leaky-bucket.ts';
import { defaults } from '../../config/defaults.ts';
import type { ConnectUser } from '../storage.ts';
import type { ConnectOperations } from '../storage.ts';
import { usernameKey } from '../../lib/username.ts';

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

/** The limits of the site's logins and sign-ups: ConnectOptions.login over the provider's defaults. */
export type LoginPolicy = { -readonly [K in keyof typeof defaults.login]: number };

/** Who is trying, as far as the limits go: the client's address (none: no per-address limit), and the site's limits. */
export interface Attempt {
  address?: string;
  policy?: LoginPolicy;
}

/**
 * The site's one password check (the login form and "bind to an account I have"), throttled as the
 * provider's is (src/provider/accounts/authenticate.ts): attempts are counted before the password
 * is checked, atomically, per account (the username as it is compared, so that ALICE and alice are
 * one) in a window that locks it past `lockAfterFailures`, and per address in a leaky bucket that
 * drains `addressFailures` per window and that no success resets. A right password clears the
 * account's count and takes its own attempt back out of the address's bucket, nothing more.
 */
export async function checkSitePassword(store: ConnectOperations, username: string, password: string, { address, policy = defaults.login }: Attempt = {}): Promise<PasswordCheck> {
  const key = `connect:user:${usernameKey(username)}`;
  const bucket = address === undefined ? undefined : `connect:addr:${throttledAddress(address)}`;
  const at = now();
  const [counted, level] = await Promise.all([
    store.countLoginAttempt(key, { windowSeconds: policy.windowSeconds, lockAfter: policy.lockAfterFailures, lockSeconds: policy.lockSeconds }),
    bucket === undefined ? 0 : store.chargeLoginBucket(bucket, { limit: policy.addressFailures, windowSeconds: policy.windowSeconds }),
  ]);
  if (counted.lockedUntil !== null && counted.lockedUntil > at && counted.failures > policy.lockAfterFailures) {
    return { ok: false, locked: true, retryAfter: counted.lockedUntil - at };
  }
  if (level > policy.addressFailures) {
    return { ok: false, locked: true, retryAfter: bucketRetryAfter(level, policy.addressFailures, policy.windowSeconds) };
  }
  const user = await store.findConnectUserByUsername(username);
  if (user && (await verifyPassword(user.passwordHash, password))) {
    // A name from before usernames were unique shares its counter with the older account: its success clears nothing.
    await Promise.all([store.clearLoginFailures(user.collidedUsername ? [] : [key]), bucket === undefined ? undefined : store.refundLoginBucket(bucket)]);
    return { ok: true, user };
  }
  if (!user) await verifyPassword(null, password);
  return { ok: false, locked: false, retryAfter: 0 };
}

/**
 * Whether another account may be created from this address now (a sign-up costs an Argon2 hash):
 * at most `signupsPerAddress` per `signupWindowSeconds`, counted in a bucket that drains. Seconds to
 * wait when not.
 */
export async function signupWait(store: ConnectOperations, { address, policy = defaults.login }: Attempt): Promise<number> {
  if (address === undefined) return 0;
  const level = await store.chargeLoginBucket(`connect:signup:${throttledAddress(address)}`, { limit: policy.signupsPerAddress, windowSeconds: policy.signupWindowSeconds });
  if (level <= policy.signupsPerAddress) return 0;
  return bucketRetryAfter(level, policy.signupsPerAddress, policy.signupWindowSeconds);
}
