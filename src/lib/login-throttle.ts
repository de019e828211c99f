// What login throttling asks of a store: counters per account and leaky buckets per address. The
// provider's store and Connect's both keep them (src/store/throttle.ts), so the contract sits here,
// outside either side.

/** An account's (or key's) failures in its window, and until when it is locked. */
export interface LoginFailure {
  key: string;
  failures: number;
  firstFailureAt: number;
  lockedUntil: number | null;
}

/** One counted login attempt: how many within the window, and until when the key is locked. */
export interface CountedAttempt {
  failures: number;
  lockedUntil: number | null;
}

export interface ThrottleStore {
  find(keys: string[]): Promise<LoginFailure[]>;
  /**
   * Counts one attempt against `key` before its password is checked, in one statement, so that
   * parallel guesses each get a count of their own.
   */
  countAttempt(key: string, policy: { windowSeconds: number; lockAfter: number; lockSeconds: number }): Promise<CountedAttempt>;
  /** Clears these keys' window counters (an account's, after its own success). */
  clear(keys: string[]): Promise<void>;
  /** Forgets everything counted under these keys, counters and buckets alike. The tests use it to start clean; no command does yet. */
  forget(keys: string[]): Promise<void>;
  /**
   * Adds one attempt to a leaky bucket (an address's): what it held drains continuously at
   * `limit` per `windowSeconds`, nothing else lowers it, and the level after this attempt is
   * returned — a sliding window that no success resets. One statement.
   */
  charge(key: string, policy: { limit: number; windowSeconds: number }): Promise<number>;
  /** Takes one attempt back out of a bucket (a login that turned out right was not a guess). */
  refund(key: string): Promise<void>;
}
