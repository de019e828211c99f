import type { PurgeCounts } from './storage.ts';
import type { ProviderContext } from './context.ts';

// The periodic purge of expired rows (codes, sessions, tickets, login states, tokens, dead grants,
// old login counters, audit events past their retention). Every instance runs it: the deletes are
// safe to run side by side (see src/store/housekeeping-store.ts), so no instance has to be elected
// to do it and none is missed when one goes away.

/** What a pass removed: the expired rows of each table, and the self-registered apps nobody used (registration.unusedClientDays). */
export type HousekeepingCounts = PurgeCounts & { unused_registered_clients: number };

export interface Housekeeping {
  /** One pass now; resolves with how many rows went from each table. */
  runOnce(): Promise<HousekeepingCounts>;
  /** Stops the timer and waits for a pass in progress to end. */
  stop(): Promise<void>;
}

export function runHousekeeping(ctx: ProviderContext, options: { onError?: (error: unknown) => void; onPass?: (counts: HousekeepingCounts) => void } = {}): Housekeeping {
  const settings = ctx.config.housekeeping;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const runOnce = () => {
    const now = Math.floor(Date.now() / 1000);
    const pass = ctx.store.housekeeping.purgeExpired({
      now,
      batchSize: settings.batchSize,
      maxBatches: settings.maxBatches,
      expiredGraceSeconds: settings.expiredGraceSeconds,
      accessTokenLifetime: Math.max(ctx.config.lifetimes.accessToken, ctx.config.lifetimes.implicitAccessToken),
      refreshTokenAbsolute: ctx.config.lifetimes.refreshTokenAbsolute,
      loginWindowSeconds: ctx.config.login.windowSeconds,
      bucketDrainSeconds: 2 * Math.max(ctx.config.login.windowSeconds, ctx.config.login.signupWindowSeconds, ctx.config.registration.windowSeconds),
      auditRetentionSeconds: ctx.config.audit.retentionDays * 24 * 3600,
    }).then(async (counts) => ({ ...counts, unused_registered_clients: await removeUnusedRegisteredClients(ctx, now) }));
    running = pass.catch(() => {});
    return pass;
  };

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce().then(options.onPass, options.onError ?? (() => {})).finally(() => schedule(settings.intervalSeconds * 1000));
    }, delayMs);
    timer.unref();
  };
  // A random first delay, so that instances started together do not purge in step.
  if (settings.intervalSeconds > 0) schedule(Math.floor(Math.random() * settings.intervalSeconds * 1000));

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/**
 * Deletes the apps no person registered — self-registered (RFC 7591) or known by their metadata
 * document — that obtained no token for registration.unusedClientDays (counted from when they were
 * first known if they never did; 0: kept), and the document apps that never obtained one once their
 * requests can no longer be waiting; each with everything issued to it, as a deletion through RFC
 * 7592 would. In batches, as the purge is.
 */
async function removeUnusedRegisteredClients(ctx: ProviderContext, now: number): Promise<number> {
  const days = ctx.config.registration.unusedClientDays;
  const { batchSize, maxBatches } = ctx.config.housekeeping;
  let removed = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    // A metadata-document app that never obtained a token goes once no request of its can still be
    // waiting: anyone can make Grantry meet (and keep) a new one by naming a URL.
    const before = days > 0 ? now - days * 24 * 3600 : 0;
    const neverUsedDocumentsBefore = now - ctx.config.authorizationRequestLifetime - ctx.config.lifetimes.authorizationCode;
    const unused = await ctx.store.clients.unusedRegistered(before, batchSize, neverUsedDocumentsBefore);
    for (const { id, origin } of unused) {
      // Another instance may have removed it a moment ago, or the app obtained a token since it was
      // found: only this pass's own deletions of apps still unused count.
      if (await ctx.store.clients.deleteUnused(id, before, neverUsedDocumentsBefore)) {
        removed++;
        ctx.audit.record({ event: 'app_deleted', clientId: id, detail: { origin, reason: 'unused' } });
      }
    }
    if (unused.length < batchSize) break;
  }
  return removed;
}
