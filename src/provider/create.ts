import type { FastifyInstance } from 'fastify';
import { makeConfig, type ConfigOverrides } from '../config/config.ts';
import { openStore, type Store } from '../store/index.ts';
import { createProviderContext, type ProviderContext } from './context.ts';
import { runLogoutDeliveries } from './backchannel-logout.ts';
import { runHousekeeping } from './housekeeping.ts';
import type { LogOptions } from './http/logging.ts';
import { buildProviderServer } from './http/server.ts';
import { createMetrics, type ProviderMetrics } from './metrics.ts';

// The provider as a library: `createProvider` returns a Fastify instance that the caller listens
// with (or mounts, or injects requests into). `grantry start` is built on it.

export interface ProviderOptions extends ConfigOverrides {
  /** At least 32 characters: seals the signing keys at rest and signs CSRF tokens. */
  secret: string;
  /** A store opened with openStore, to share; otherwise one is opened from `databaseUrl` and closed with the server. */
  store?: Store;
  /** The JSON request log: true for info level on stdout; none when not given. */
  logger?: boolean | LogOptions;
  /** The Prometheus registry /metrics serves; a fresh one when not given. */
  metrics?: ProviderMetrics;
  /**
   * The timers a running provider needs: re-reading the signing keys (another process may rotate
   * them) and the housekeeping purge. On unless false; they stop when the server closes.
   */
  background?: boolean;
  /**
   * Certificates to trust beyond Node's own when the provider fetches client ID metadata
   * documents: a private PKI's root, or a test's self-signed certificate on loopback.
   */
  outboundCa?: string | Buffer | (string | Buffer)[];
}

export type GrantryServer = FastifyInstance & {
  /** The provider's configuration, store, keys and audit trail, for code that runs beside it. */
  grantry: ProviderContext;
};

/**
 * A provider ready to listen:
 *
 *   const app = await createProvider({ issuer: 'https://id.example.com', secret, databaseUrl: 'postgres://…' });
 *   await app.listen({ port: 3000 });
 */
export async function createProvider(options: ProviderOptions): Promise<GrantryServer> {
  const { store: given, logger, metrics = createMetrics(), background = true, outboundCa, ...overrides } = options;
  const config = makeConfig(overrides);
  const store = given ?? (await openStore(config.databaseUrl, { onQuery: metrics.observeQuery, poolSize: config.databasePoolSize }));
  const ctx = await createProviderContext(config, store, { outboundCa });
  const app = await buildProviderServer(ctx, { logger, metrics });
  const stopBackground = background ? startBackgroundWork(ctx, app) : async () => {};
  app.addHook('onClose', async () => {
    await stopBackground();
    // The server's own onClose hook has written the audit trail's last batch; a store the
    // provider opened closes after it.
    await ctx.audit.close();
    if (!given) await store.close();
  });
  return Object.assign(app, { grantry: ctx });
}

/** Signing keys read again now and then, the housekeeping purge and the back-channel logout sender; returns what stops them. */
function startBackgroundWork(ctx: ProviderContext, app: FastifyInstance): () => Promise<void> {
  const reload = setInterval(() => void ctx.keys.reload().catch((error) => app.log.error({ err: error }, 'reading the signing keys failed')), ctx.config.lifetimes.signingKeyReload * 1000);
  reload.unref();
  const housekeeping = runHousekeeping(ctx, {
    onError: (error) => app.log.error({ err: error }, 'housekeeping pass failed'),
    onPass: (counts) => app.log.debug({ purged: counts }, 'housekeeping pass'),
  });
  const logoutDeliveries = runLogoutDeliveries(ctx, { onError: (error) => app.log.error({ err: error }, 'sending back-channel logout tokens failed') });
  ctx.wakeLogoutDeliveries = logoutDeliveries.wake;
  return async () => {
    clearInterval(reload);
    ctx.wakeLogoutDeliveries = () => {};
    await Promise.all([housekeeping.stop(), logoutDeliveries.stop()]);
  };
}
