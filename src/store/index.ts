import { sql, type Kysely } from 'kysely';
import type { ProviderStorage, ProviderStore, Readiness } from '../provider/storage.ts';
import { ClientCache } from './client-cache.ts';
import { migrations } from './migrations/index.ts';
import { openDatabase, type Dialect, type OpenOptions } from './open.ts';
import { createAccessTokenStore } from './provider/access-tokens.ts';
import { createAuditStore } from './provider/audit.ts';
import { createClientStore } from './provider/clients.ts';
import { createCodeStore } from './provider/codes.ts';
import { createConsentStore } from './provider/consents.ts';
import { createGrantStore } from './provider/grants.ts';
import { createHousekeepingStore } from './provider/housekeeping.ts';
import { createSigningKeyStore } from './provider/keys.ts';
import { createRefreshTokenStore } from './provider/refresh-tokens.ts';
import { createAuthorizationRequestStore } from './provider/requests.ts';
import { createLogoutDeliveryStore } from './provider/logout-deliveries.ts';
import { createSessionStore } from './provider/sessions.ts';
import { createResourceStore } from './provider/resources.ts';
import { createInitialAccessTokenStore } from './provider/initial-access-tokens.ts';
import { createProviderValueStore } from './provider/values.ts';
import { createUserStore } from './provider/users.ts';
import type { Database } from './schema.ts';
import { createThrottleStore } from './throttle.ts';

export { redactUrl, DatabaseMissingError, DatabaseUrlError, type OpenOptions, type Dialect } from './open.ts';
export * from '../provider/storage.ts';
export { isUniqueViolation } from './errors.ts';

const providerMigrations = { migrations, table: 'grantry_migrations', lockTable: 'grantry_migrations_lock' };
const latestMigration = Object.keys(migrations).sort().at(-1)!;

function aggregates(db: Kysely<Database>, clients: ClientCache): ProviderStorage {
  return {
    users: createUserStore(db),
    clients: createClientStore(db, clients),
    consents: createConsentStore(db),
    requests: createAuthorizationRequestStore(db),
    grants: createGrantStore(db),
    codes: createCodeStore(db),
    refreshTokens: createRefreshTokenStore(db),
    accessTokens: createAccessTokenStore(db),
    keys: createSigningKeyStore(db),
    sessions: createSessionStore(db),
    logoutDeliveries: createLogoutDeliveryStore(db),
    values: createProviderValueStore(db),
    resources: createResourceStore(db),
    initialAccessTokens: createInitialAccessTokenStore(db),
    throttle: createThrottleStore(db, 'login_failures', 'login_buckets'),
    audit: createAuditStore(db),
    housekeeping: createHousekeepingStore(db),
  };
}

/**
 * The provider's store: one field per aggregate (./provider/), each behind the interface that
 * src/provider/storage.ts declares. Nothing outside src/store/ writes SQL.
 */
export interface Store extends ProviderStore {
  dialect: Dialect;
}

/** Opens the provider's store (`sqlite:PATH`, `sqlite::memory:` or `postgres://…`) and brings its schema up to date. */
export async function openStore(databaseUrl: string, options: OpenOptions = {}): Promise<Store> {
  const opened = await openDatabase<Database>(databaseUrl, providerMigrations, options);
  // One app cache per opened store, shared by its transactions, so that an update inside one drops the entry too.
  const clients = new ClientCache();
  return {
    ...aggregates(opened.db, clients),
    dialect: opened.dialect,
    transaction: (work) => opened.db.transaction().execute((trx) => work(aggregates(trx, clients))),
    readiness: () => readiness(opened.db),
    close: opened.close,
  };
}

/**
 * One query that proves both things a load balancer needs before it sends traffic: the database
 * answers, and its schema is the one this code expects (the newest migration has run).
 */
async function readiness(db: Kysely<Database>): Promise<Readiness> {
  const { rows } = await sql<{ name: string }>`select max(name) as name from grantry_migrations`.execute(db);
  const applied = rows[0]?.name ?? null;
  // A store ahead of this code is fine: during a rolling deploy the new instances migrate first,
  // and migrations only add, so the old instances keep serving until they are replaced.
  if (applied !== null && applied >= latestMigration) return { ready: true };
  return { ready: false, reason: `migrations not current: the store is at ${applied ?? 'none'}, this code needs ${latestMigration}` };
}
