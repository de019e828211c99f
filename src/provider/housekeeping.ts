import type { PurgeCounts } from './storage.ts';
import type { ProviderContext } from './context.ts';

// The periodic purge of expired rows (codes, sessions, tickets, login states, tokens, dead grants,
// old login counters, audit events past their retention). Every instance runs it: the deletes are
// safe to run side by side (see src/store/housekeeping-store.ts), so no instance has to be elected
// to do it and none is missed when one goes away.

export interface Housekeeping {
  /** One pass now; resolves with how many rows went from each table. */
  runOnce(): Promise<PurgeCounts>;
  /** Stops the timer and waits for a pass in progress to end. */
  stop(): Promise<void>;
}

export function runHousekeeping(ctx: ProviderContext, options: { onError?: (error: unknown) => void; onPass?: (counts: PurgeCounts) => void } = {}): Housekeeping {
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
      bucketDrainSeconds: 2 * Math.max(ctx.config.login.windowSeconds, ctx.config.login.signupWindowSeconds),
      auditRetentionSeconds: ctx.config.audit.retentionDays * 24 * 3600,
    });
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
