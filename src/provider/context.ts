import type { GrantryConfig } from '../config/config.ts';
import type { ProviderStore } from './storage.ts';
import { createAuditRecorder, type AuditRecorder } from './audit.ts';
import { randomToken } from '../lib/crypto.ts';
import { pairwiseSaltName } from './protocol/subject.ts';
import { loadKeyRing, type KeyRing } from './protocol/tokens/keys.ts';

/**
 * What every part of the provider works with: its configuration, its store and its signing keys.
 * Protocol functions take it as their first argument; HTTP routes get it from the server.
 */
export interface ProviderContext {
  config: GrantryConfig;
  store: ProviderStore;
  keys: KeyRing;
  /** The audit trail: `record` buffers, batches are written in the background (./audit.ts). */
  audit: AuditRecorder;
  /** Tells this instance's back-channel logout sender that deliveries are waiting (src/provider/backchannel-logout.ts); nothing until it runs. */
  wakeLogoutDeliveries: () => void;
  /** The salt of pairwise subjects (./protocol/subject.ts), made once per database and kept. */
  pairwiseSalt: string;
}

export async function createProviderContext(config: GrantryConfig, store: ProviderStore): Promise<ProviderContext> {
  const audit = createAuditRecorder(store, { flushIntervalMs: config.audit.flushIntervalMs, batchSize: config.audit.batchSize });
  const pairwiseSalt = await store.values.getOrCreate(pairwiseSaltName, randomToken(32));
  return { config, store, keys: await loadKeyRing(store, config), audit, pairwiseSalt, wakeLogoutDeliveries: () => {} };
}
