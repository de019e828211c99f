import { hash, verify } from '@node-rs/argon2';
import type { GrantryConfig } from '../../config/config.ts';
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

export function throttleKeys(username: string, address: string): string[] {
  return [`user:${username.toLowerCase()}`, `addr:${address}`];
}

export async function authenticateUser(
  store: ProviderStore,
  config: GrantryConfig,
  input: { username: string; password: string; address: string },
): Promise<AuthenticationResult> {
  const policy = config.login;
  const keys = throttleKeys(input.username, input.address);
  const at = now();

  // Every attempt is counted before its password is checked, atomically, so that guesses sent in
  // parallel each see their own count; a success clears the count again.
  const counted = await Promise.all(
    keys.map((key) => store.throttle.countAttempt(key, { windowSeconds: policy.windowSeconds, lockAfter: policy.lockAfterFailures, lockSeconds: policy.lockSeconds })),
  );
  const lockedUntil = Math.max(0, ...counted.map((c) => c.lockedUntil ?? 0));
  // The attempt that reaches the limit is still checked; any beyond it is refused unchecked.
  const overLimit = counted.some((c) => c.failures > policy.lockAfterFailures);
  if (lockedUntil > at && overLimit) return { ok: false, reason: 'locked', retryAfter: lockedUntil - at };

  const previousFailures = Math.max(0, ...counted.map((c) => c.failures - 1));
  if (previousFailures >= policy.slowAfterFailures) {
    await sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (previousFailures - policy.slowAfterFailures)));
  }

  const user = await store.users.findByUsername(input.username);
  decoyHash ??= hashPassword(config, 'grantry-decoy-password');
  const valid = await verify(user?.passwordHash ?? (await decoyHash), input.password).catch(() => false);
  if (user && valid) {
    await store.throttle.clear(keys);
    return { ok: true, user };
  }
  return { ok: false, reason: 'invalid_credentials', ...(user ? { userId: user.id } : {}) };
}
