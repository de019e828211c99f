/**
 * Seconds until an address may try again, its bucket standing at `level` after an attempt it
 * refused: the bucket drains `limit` attempts per `windowSeconds`, and the next attempt passes once
 * the drained level plus that attempt is within the limit (level - drained + 1 ≤ limit).
 */
export function bucketRetryAfter(level: number, limit: number, windowSeconds: number): number {
  return Math.max(1, Math.ceil(((level + 1 - limit) * windowSeconds) / limit));
}
