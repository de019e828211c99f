import { hash, verify } from '@node-rs/argon2';
import { throttledAddress } from '../../lib/address.ts';
import { bucketRetryAfter } from '../../lib/leaky-bucket.ts';
import type { GrantryConfig } from '../../config/config.ts';
import { usernameKey } from '../../lib/username.ts';
import type { ProviderStore, User } from '../storage.ts';

// The one password check of the provider. The login page and the password grant both call
// `authenticateUser`, so they share its throttling: the token endpoint is no way around it.

export async function hashPassword(config: GrantryConfig, password: string): Promise<string> {
  return hash(password, { ...config.argon2, algorithm: 2 /* Argon2id */ });
}

export type AuthenticationResult =
  | { ok: true; user: User }
  /** `userId` when the account exists: for the audit trail, never for the person at the form. */
  | { ok: false; reason: 'invalid_credentials'; userId?: string }
  /** Too many failures for this account or address: refused without checking the password. */
  | { ok: false; reason: 'locked'; retryAfter: number };

// A hash to verify against when the username is unknown, so that an unknown name takes as long as a
// wrong password and the timing tells nobody which names exist.
let decoyHash: Promise<string> | undefined;

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The account's counter: the username as it is compared, so that ALICE and alice count as one. */
export function accountKey(username: string): string {
  return `user:${usernameKey(username)}`;
}

/** The address's bucket. */
export function addressKey(address: string): string {
  return `addr:${throttledAddress(address)}`;
}

/** Both of an attempt's keys: the account's counter and the address's bucket. */
export function throttleKeys(username: string, address: string): string[] {
  return [accountKey(username), addressKey(address)];
}

/**
 * The password check, counted twice before it is made, atomically, so that guesses sent in
 * parallel each see their own count:
 * - per account, in a window: past lockAfterFailures the account is locked for lockSeconds; its
 *   own success clears it (only the account's: a success is no reason to trust an address);
 * - per address, in a leaky bucket holding addressFailures attempts and draining that many per
 *   windowSeconds: spraying guesses over many accounts from one address runs dry, and nothing the
 *   attacker does — logging in to an account of their own included — refills it faster. A login
 *   that turns out right takes its own attempt back out, so that people behind one address who
 *   type their passwords right are not held back by it.
 */
export async function authenticateUser(
  store: ProviderStore,
  config: GrantryConfig,
  input: { username: string; password: string; address: string },
): Promise<AuthenticationResult> {
  const policy = config.login;
  const account = accountKey(input.username);
  const address = addressKey(input.address);
  const at = now();

  const [counted, level] = await Promise.all([
    store.throttle.countAttempt(account, { windowSeconds: policy.windowSeconds, lockAfter: policy.lockAfterFailures, lockSeconds: policy.lockSeconds }),
    store.throttle.charge(address, { limit: policy.addressFailures, windowSeconds: policy.windowSeconds }),
  ]);
  // The attempt that reaches the limit is still checked; any beyond it is refused unchecked.
  if (counted.lockedUntil !== null && counted.lockedUntil > at && counted.failures > policy.lockAfterFailures) {
    return { ok: false, reason: 'locked', retryAfter: counted.lockedUntil - at };
  }
  if (level > policy.addressFailures) {
    // Until the bucket has drained below the limit again.
    return { ok: false, reason: 'locked', retryAfter: bucketRetryAfter(level, policy.addressFailures, policy.windowSeconds) };
  }

  // The bucket's level, less this attempt, is about the address's recent failures (it drains a little between them).
  const previousFailures = Math.max(counted.failures - 1, Math.round(level - 1), 0);
  if (previousFailures >= policy.slowAfterFailures) {
    await sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (previousFailures - policy.slowAfterFailures)));
  }

  const user = await store.users.findByUsername(input.username);
  decoyHash ??= hashPassword(config, 'grantry-decoy-password');
  const valid = await verify(user?.passwordHash ?? (await decoyHash), input.password).catch(() => false);
  if (user && valid) {
    // A name from before usernames were unique shares its counter with the older account: its success clears nothing.
    await Promise.all([store.throttle.clear(user.collidedUsername ? [] : [account]), store.throttle.refund(address)]);
    return { ok: true, user };
  }
  return { ok: false, reason: 'invalid_credentials', ...(user ? { userId: user.id } : {}) };
}
