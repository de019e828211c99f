import { createPrivateKey, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { GrantryConfig } from '../../../config/config.ts';
import { deriveKey, seal, unseal } from '../../../lib/crypto.ts';
import type { SigningKeyRecord, ProviderStore } from '../../storage.ts';

// Signing keys for access tokens. EdDSA (Ed25519): about fifteen times cheaper to sign than RSA-2048
// on this kind of machine, and verified just as fast. Keys are imported once, when the ring loads,
// never per request.

export const signingAlgorithm = 'EdDSA';

export interface LoadedKey {
  kid: string;
  alg: string;
  publicJwk: JWK;
  /** Present only while the key may still sign; a node:crypto key, imported once, for the synchronous signer. */
  privateKey?: KeyObject;
  publicKey: CryptoKey;
  activeFrom: number;
  createdAt: number;
  retiredAt: number | null;
}

export interface KeyRing {
  /** The key that signs now: the newest active key not retired. */
  signingKey(): LoadedKey;
  /** The key with this id, if it is still published. */
  verificationKey(kid: string): LoadedKey | undefined;
  /** The public keys served at /oauth2/jwks: every key not yet past its retirement margin. */
  jwks(): { keys: JWK[] };
  /** Reads the keys from the store again (another process may have rotated them). */
  reload(): Promise<void>;
}

const now = () => Math.floor(Date.now() / 1000);

function sealingKey(config: GrantryConfig): Buffer {
  return deriveKey(config.secret, 'signing-keys');
}

/** Makes a new key pair and stores it, private half sealed. `activeFrom` lets it be published before it signs. */
export async function createSigningKey(store: ProviderStore, config: GrantryConfig, activeFrom = now()): Promise<SigningKeyRecord> {
  const { publicKey, privateKey } = await generateKeyPair(signingAlgorithm, { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: signingAlgorithm, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: signingAlgorithm };
  const record: SigningKeyRecord = {
    kid,
    alg: signingAlgorithm,
    publicJwk: JSON.stringify(publicJwk),
    privateJwk: seal(sealingKey(config), JSON.stringify(privateJwk), kid),
    createdAt: now(),
    activeFrom,
    retiredAt: null,
  };
  await store.keys.insert(record);
  return record;
}

/**
 * Adds a key that is published at once and signs only after `publishFor` seconds, so that
 * resource servers that cache the JWKS learn it before they meet a token it signed; the keys it
 * replaces are retired then, and stay published until every token they signed has expired.
 */
export async function rotateSigningKeys(store: ProviderStore, config: GrantryConfig, publishFor: number): Promise<{ kid: string; activeFrom: number; retired: string[] }> {
  const activeFrom = now() + publishFor;
  // Every key that would still sign at activeFrom hands over to the new one then.
  const existing = (await store.keys.list()).filter((key) => key.retiredAt === null || key.retiredAt > activeFrom);
  const created = await createSigningKey(store, config, activeFrom);
  const retired = existing.map((key) => key.kid);
  await store.keys.retire(retired, activeFrom);
  return { kid: created.kid, activeFrom, retired };
}

/** Loads the key ring, creating the first key on a fresh store. */
export async function loadKeyRing(store: ProviderStore, config: GrantryConfig): Promise<KeyRing> {
  let keys: LoadedKey[] = [];
  // A retired key is kept while tokens it signed may live: the longest access-token lifetime plus a margin.
  const keepAfterRetirement = Math.max(config.lifetimes.accessToken, config.lifetimes.implicitAccessToken) + config.lifetimes.retiredKeyMargin;

  async function load(): Promise<void> {
    let records = await store.keys.list();
    if (records.length === 0) {
      await createSigningKey(store, config);
      records = await store.keys.list();
    }
    const at = now();
    const loaded: LoadedKey[] = [];
    for (const record of records) {
      if (record.retiredAt !== null && record.retiredAt + keepAfterRetirement < at) continue;
      const publicJwk = JSON.parse(record.publicJwk) as JWK;
      const canSign = record.retiredAt === null || record.retiredAt > at;
      loaded.push({
        kid: record.kid,
        alg: record.alg,
        publicJwk,
        publicKey: (await importJWK(publicJwk, record.alg)) as CryptoKey,
        privateKey: canSign
          ? createPrivateKey({ key: JSON.parse(unseal(sealingKey(config), record.privateJwk, record.kid)) as JsonWebKey, format: 'jwk' })
          : undefined,
        activeFrom: record.activeFrom,
        createdAt: record.createdAt,
        retiredAt: record.retiredAt,
      });
    }
    keys = loaded;
  }

  await load();
  return {
    signingKey() {
      const at = now();
      const usable = keys.filter((key) => key.privateKey && key.activeFrom <= at && (key.retiredAt === null || key.retiredAt > at));
      // The most recently activated key signs; keys activated in the same second are told apart by creation.
      const key = usable.reduce<LoadedKey | undefined>(
        (best, candidate) =>
          !best || candidate.activeFrom > best.activeFrom || (candidate.activeFrom === best.activeFrom && candidate.createdAt >= best.createdAt) ? candidate : best,
        undefined,
      );
      if (!key) throw new Error('no signing key is active: run `grantry keys rotate`');
      return key;
    },
    verificationKey(kid) {
      return keys.find((key) => key.kid === kid);
    },
    jwks() {
      return { keys: keys.map((key) => key.publicJwk) };
    },
    reload: load,
  };
}
