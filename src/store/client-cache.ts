import type { Client } from '../provider/storage.ts';

/**
 * Client records kept in memory for a few seconds (`clientCacheSeconds`), so that a warm token
 * request or authorization request costs no client lookup.
 *
 * What may be stale, and for how long: a change made through ANOTHER process (another instance, or
 * the CLI run beside a server) reaches this process's entry only when the entry expires, at most
 * `clientCacheSeconds` later. For that long this instance may still go by the app's old redirect
 * URIs, scopes, grant types or token format. A client secret is the exception on one side: a
 * presented secret that does not match the cached record sends the caller back to the store
 * (see client-auth.ts), so a freshly rotated secret works at once everywhere; but the OLD secret
 * keeps matching an instance's cached record until that entry expires. Changes made through THIS
 * store (console, CLI in-process) drop the entry at once. Unknown ids are never remembered, so an
 * app registered on another instance is found at once.
 */
export class ClientCache {
  private readonly entries = new Map<string, { client: Client; until: number }>();
  /** Bumped by every invalidation: a read that began before one must not store what it read. */
  private generation = 0;
  private static readonly maxEntries = 10_000;

  get(id: string): Client | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.until > Date.now()) return entry.client;
    this.entries.delete(id);
    return undefined;
  }

  /** The generation to hand back to `set`, taken before the read whose result will be stored. */
  mark(): number {
    return this.generation;
  }

  set(client: Client, seconds: number, readAt: number): void {
    if (seconds <= 0 || readAt !== this.generation) return;
    if (this.entries.size >= ClientCache.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.delete(client.id);
    this.entries.set(client.id, { client, until: Date.now() + seconds * 1000 });
  }

  invalidate(id: string): void {
    this.generation++;
    this.entries.delete(id);
  }
}
