import { rootCertificates } from 'node:tls';
import type { GrantryConfig } from '../config/config.ts';
import type { ProviderStore } from './storage.ts';
import { createAuditRecorder, type AuditRecorder } from './audit.ts';
import { randomToken } from '../lib/crypto.ts';
import { pairwiseSaltName } from './protocol/subject.ts';
import { loadKeyRing, type KeyRing } from './protocol/tokens/keys.ts';
import type { ClientDocumentFetcher } from './protocol/client-documents.ts';
import { OutboundRefused, fetchJson, type FetchedJson } from '../lib/outbound.ts';

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
  /** Fetches a client ID metadata document through the SSRF guard (./protocol/client-documents.ts). */
  fetchClientDocument: ClientDocumentFetcher;
}

export interface ContextOptions {
  /** Certificates to trust beyond Node's own when fetching documents (a private PKI; tests on loopback). */
  outboundCa?: string | Buffer | (string | Buffer)[];
}

/**
 * The fetcher of client ID metadata documents, with the configured limits: requests for a URL
 * already being fetched share its fetch, and at most maxConcurrentFetches run at once.
 */
export function documentFetcher(config: GrantryConfig, options: ContextOptions = {}): ClientDocumentFetcher {
  const settings = config.clientIdMetadataDocuments;
  const inFlight = new Map<string, Promise<FetchedJson>>();
  return (url) => {
    const running = inFlight.get(url);
    if (running) return running;
    if (inFlight.size >= settings.maxConcurrentFetches) return Promise.reject(new OutboundRefused('too many documents are being fetched at once; try again shortly'));
    const fetching = fetchJson(url, {
      allowLoopback: settings.allowInsecureLoopback,
      timeoutMs: settings.timeoutMs,
      maxBytes: settings.maxBytes,
      // Node's `ca` replaces the public roots: they are kept, and the given certificates added.
      ...(options.outboundCa ? { ca: [...rootCertificates, ...[options.outboundCa].flat()] } : {}),
    }).finally(() => inFlight.delete(url));
    inFlight.set(url, fetching);
    return fetching;
  };
}

export async function createProviderContext(config: GrantryConfig, store: ProviderStore, options: ContextOptions = {}): Promise<ProviderContext> {
  const audit = createAuditRecorder(store, { flushIntervalMs: config.audit.flushIntervalMs, batchSize: config.audit.batchSize });
  const pairwiseSalt = await store.values.getOrCreate(pairwiseSaltName, randomToken(32));
  return {
    config,
    store,
    keys: await loadKeyRing(store, config),
    audit,
    pairwiseSalt,
    wakeLogoutDeliveries: () => {},
    fetchClientDocument: documentFetcher(config, options),
  };
}
