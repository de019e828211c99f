import type { FastifyInstance } from 'fastify';
import { makeConfig, type ConfigOverrides, type GrantryConfig } from '../../src/config/config.ts';
import { createProviderContext, type ContextOptions, type ProviderContext } from '../../src/provider/context.ts';
import { buildProviderServer } from '../../src/provider/http/server.ts';
import { hashPassword } from '../../src/provider/accounts/authenticate.ts';
import { registerClient, type Registration } from '../../src/provider/protocol/clients.ts';
import type { Store, User } from '../../src/store/index.ts';
import type { TestStoreKind } from './stores.ts';

export const testSecret = 'test-secret-0123456789abcdef0123456789abcdef';

export interface RunningProvider {
  url: string;
  ctx: ProviderContext;
  store: Store;
  config: GrantryConfig;
  /** A database URL that reaches this provider's store from another process (the CLI). */
  databaseUrl: string;
  app: FastifyInstance;
  /** Every SQL statement the provider has run, newest last: count them per flow. */
  queries: string[];
  createUser(username?: string, password?: string, extra?: Partial<User>): Promise<User & { password: string }>;
  registerClient(input: Partial<Registration> & Pick<Registration, 'appType'>): ReturnType<typeof registerClient>;
  close(): Promise<void>;
}

let userCounter = 0;

/**
 * A provider on a loopback port over a fresh store of the given kind. Argon2 runs with small
 * parameters here so that the suite spends its time on behaviour, not on hashing.
 */
export async function startProvider(kind: TestStoreKind, overrides: ConfigOverrides = {}, contextOptions: ContextOptions = {}): Promise<RunningProvider> {
  const queries: string[] = [];
  const opened = await kind.open({ onQuery: (sql) => queries.push(sql) });
  // Many tests sign people up from 127.0.0.1: the sign-up limit per address is lifted unless a test sets it.
  let config = makeConfig({ secret: testSecret, argon2: { memoryCost: 1024, timeCost: 1 }, ...overrides, login: { signupsPerAddress: 10_000, ...overrides.login }, port: 0 });
  const ctx = await createProviderContext(config, opened.store, contextOptions);
  const app = await buildProviderServer(ctx);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  // The issuer is known only once the port is: set it before the first request.
  if (!overrides.issuer) {
    config = { ...config, issuer: address };
    Object.assign(ctx.config, { issuer: address });
  }
  return {
    url: ctx.config.issuer,
    ctx,
    store: opened.store,
    config: ctx.config,
    databaseUrl: opened.url,
    app,
    queries,
    async createUser(username = `user${++userCounter}`, password = 'correct horse battery staple', extra = {}) {
      const user = await opened.store.users.create({
        username,
        passwordHash: await hashPassword(ctx.config, password),
        displayName: extra.displayName ?? username.toUpperCase(),
        // An explicit null is a person without an address.
        email: extra.email === null ? null : (extra.email ?? `${username}@example.com`),
      });
      return { ...user, password };
    },
    registerClient(input) {
      return registerClient(opened.store, ctx.config, {
        name: 'Test app',
        redirectUris: input.appType === 'service' ? [] : ['https://app.example/callback'],
        ...input,
      });
    },
    async close() {
      await app.close();
      await opened.dispose();
    },
  };
}
