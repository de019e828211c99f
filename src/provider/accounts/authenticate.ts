import { hash, verify } from '@node-rs/argon2';
import type { GrantryConfig } from '../../config/config.ts';
import type { Store, User } from '../../store/index.ts';

// The one password check of the provider. The login page and the password grant both call
// `authenticateUser`, so they share its throttling: the token endpoint is no way around it.

export async function hashPassword(config: GrantryConfig, password: string): Promise<string> {
  return hash(password, { ...config.argon2, algorithm: 2 /* Argon2id */ });
}

export type AuthenticationResult =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid_credentials' }
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
  store: Store,
  config: GrantryConfig,
  input: { username: string; password: string; address: string },
): Promise<AuthenticationResult> {
  const policy = config.login;
  const keys = throttleKeys(input.username, input.address);
  const at = now();
  const failures = (await store.findLoginFailures(keys)).filter((f) => f.firstFailureAt + policy.windowSeconds > at || (f.lockedUntil ?? 0) > at);

  const lockedUntil = Math.max(0, ...failures.map((f) => f.lockedUntil ?? 0));
  if (lockedUntil > at) return { ok: false, reason: 'locked', retryAfter: lockedUntil - at };

  const worst = Math.max(0, ...failures.map((f) => f.failures));
  if (worst >= policy.slowAfterFailures) {
    await sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (worst - policy.slowAfterFailures)));
  }

  const user = await store.findUserByUsername(input.username);
  decoyHash ??= hashPassword(config, 'grantry-decoy-password');
  const valid = await verify(user?.passwordHash ?? (await decoyHash), input.password).catch(() => false);
  if (user && valid) {
    if (failures.length > 0) await store.clearLoginFailures(keys);
    return { ok: true, user };
  }

  for (const key of keys) {
    const previous = failures.find((f) => f.key === key);
    const count = (previous?.failures ?? 0) + 1;
    await store.saveLoginFailure({
      key,
      failures: count,
      firstFailureAt: previous?.firstFailureAt ?? at,
      lockedUntil: count >= policy.lockAfterFailures ? at + policy.lockSeconds : null,
    });
  }
  return { ok: false, reason: 'invalid_credentials' };
}
