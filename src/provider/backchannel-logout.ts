import { OutboundRefused, OutboundTimeout, postForm } from '../lib/outbound.ts';
import type { ProviderContext } from './context.ts';
import { signLogoutToken } from './protocol/backchannel-logout.ts';
import { allowsLoopbackCallbacks } from './protocol/clients.ts';
import type { LogoutDelivery } from './storage.ts';

// The sender of back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.5). Every
// instance works through the one stored queue: a delivery is taken with a lease (a conditional
// update), so no two instances send it, and one that an instance took and then died with is sent
// by another once the lease runs out. A logout wakes the sender at once; otherwise it looks every
// pollSeconds. A delivery that fails for a reason that may pass (no answer, 5xx, 429) is tried
// again with doubling backoff; one the app refused (another 4xx, a redirect), or that reaches an
// address Grantry does not call, is given up at once. Either way the audit trail says so.

export interface LogoutDeliveries {
  /** Sends what is due now, and waits for it. */
  runOnce(): Promise<void>;
  /** Looks for deliveries due as soon as it can (a logout just stored some). */
  wake(): void;
  /** Stops looking, and waits for sending in progress to end. */
  stop(): Promise<void>;
}

/** Deliveries taken per pass; a pass that takes this many is followed by another at once. */
const batchSize = 20;

export function runLogoutDeliveries(ctx: ProviderContext, options: { onError?: (error: unknown) => void } = {}): LogoutDeliveries {
  const settings = ctx.config.backchannelLogout;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const pass = async (): Promise<void> => {
    do {
      again = false;
      const now = Math.floor(Date.now() / 1000);
      // Long enough for every delivery of a batch to time out one after another.
      const taken = await ctx.store.logoutDeliveries.claimDue(now, now + settings.timeoutSeconds * (batchSize + 1), batchSize);
      await Promise.all(taken.map((delivery) => deliver(ctx, delivery)));
      if (taken.length === batchSize) again = true;
    } while (again && !stopped);
  };

  const runOnce = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = pass().catch((error) => options.onError?.(error)).finally(() => (running = undefined));
    return running;
  };

  const schedule = () => {
    if (stopped || settings.pollSeconds <= 0) return;
    timer = setTimeout(() => void runOnce().finally(schedule), settings.pollSeconds * 1000);
    timer.unref();
  };
  schedule();

  return {
    runOnce,
    wake: () => {
      if (!stopped) void runOnce();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** One delivery: sent and deleted, or put back for later, or given up. */
async function deliver(ctx: ProviderContext, delivery: LogoutDelivery): Promise<void> {
  const settings = ctx.config.backchannelLogout;
  const client = await ctx.store.clients.find(delivery.clientId);
  // The app was deleted, or no longer wants logout tokens, since the logout: nobody to tell.
  if (!client?.backchannelLogoutUri) return ctx.store.logoutDeliveries.delete(delivery);
  const attempts = delivery.attempts + 1;
  let failure: { reason: string; retry: boolean };
  try {
    const token = signLogoutToken(ctx, client, delivery);
    const response = await postForm(client.backchannelLogoutUri, { logout_token: token }, {
      allowLoopback: allowsLoopbackCallbacks(ctx.config),
      timeoutMs: settings.timeoutSeconds * 1000,
    });
    // §2.8: 200 is success; frameworks that answer 204 No Content mean the same.
    if (response.status >= 200 && response.status < 300) {
      ctx.audit.record({ event: 'backchannel_logout_delivered', clientId: client.id, detail: { attempts } });
      return ctx.store.logoutDeliveries.delete(delivery);
    }
    failure = { reason: `the app answered ${response.status}`, retry: response.status >= 500 || response.status === 429 };
  } catch (error) {
    // The app's owner reads these reasons (its audit trail): they say what happened, never which
    // address a name resolved to or which port refused, or the sender would be a tool for mapping
    // a network from outside.
    failure = error instanceof OutboundRefused
      ? { reason: 'the URI does not lead to a public address', retry: false }
      : { reason: error instanceof OutboundTimeout ? 'no answer in time' : 'the connection failed', retry: true };
  }
  if (!failure.retry || attempts >= settings.maxAttempts) {
    ctx.audit.record({ event: 'backchannel_logout_failed', clientId: client.id, detail: { attempts, reason: failure.reason } });
    return ctx.store.logoutDeliveries.delete(delivery);
  }
  const backoff = Math.min(settings.firstBackoffSeconds * 2 ** (attempts - 1), settings.maxBackoffSeconds);
  await ctx.store.logoutDeliveries.retryLater(delivery, { attempts, nextAttemptAt: Math.floor(Date.now() / 1000) + backoff, lastError: failure.reason });
}
