import { createPrivateKey, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { GrantryConfig } from '../../../config/config.ts';
import { deriveKey, seal, unseal } from '../../../lib/crypto.ts';
import type { SigningKeyRecord, ProviderStore } from '../../storage.ts';

// Signing keys. EdDSA (Ed25519) signs every access token: about fifteen times cheaper to sign than
// RSA-2048 on this kind of machine, and verified just as fast. RS256 signs the ID tokens of apps
// that take only it — OpenID Connect's default, which every OpenID client understands. The ring
// holds a key of each; keys are imported once, when the ring loads, never per request.

export const signingAlgorithm = 'EdDSA';
/** The algorithms the ring keeps a signing key for. */
export const ringAlgorithms = ['EdDSA', 'RS256'] as const;
export type RingAlgorithm = (typeof ringAlgorithms)[number];

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
  /** The key that signs now with this algorithm (EdDSA unless said): the newest active key not retired. */
  signingKey(alg?: RingAlgorithm): LoadedKey;
  /** The key with this id, if it is still published. */
  verificationKey(kid: string): LoadedKey | undefined;
  /** The public keys served at /oauth2/jwks: every key not yet past its retirement margin. */
  jwks(): { keys: JWK[] };
  /** Reads the keys from the store again (another process may have rotated them). */
  reload(): Promise<void>;
}

const now = () => Math.floor(Date.now() / 1000);

function sealingKey(config: Pick<GrantryConfig, 'secret'>): Buffer {
  return deriveKey(config.secret, 'signing-keys');
}

/**
 * The store's signing keys cannot be opened with this secret: GRANTRY_SECRET (or ./data/secret)
 * is not the one they were sealed under. Nothing is changed; the operator restores the secret, or
 * re-seals the keys under the new one (`grantry keys reseal`).
 */
export class SealedUnderAnotherSecretError extends Error {
  constructor(readonly kids: string[]) {
    super(`the signing keys (${kids.join(', ')}) were sealed under another secret than this GRANTRY_SECRET`);
  }
}

/** The private half of a stored key, unsealed; undefined when this secret is not the one it was sealed under. */
function openPrivateJwk(config: Pick<GrantryConfig, 'secret'>, record: SigningKeyRecord): JsonWebKey | undefined {
  try {
    return JSON.parse(unseal(sealingKey(config), record.privateJwk, record.kid)) as JsonWebKey;
  } catch {
    return undefined;
  }
}

/** The keys of the store that this secret cannot open (none: the secret is the right one, or there are no keys yet). */
export async function keysSealedUnderAnotherSecret(store: ProviderStore, config: Pick<GrantryConfig, 'secret'>): Promise<string[]> {
  return (await store.keys.list()).filter((record) => openPrivateJwk(config, record) === undefined).map((record) => record.kid);
}

/**
 * Re-seals every signing key, sealed under `oldSecret`, under the configured secret: what moving
 * to a new GRANTRY_SECRET takes. All or nothing: if the old secret opens not every key, nothing changes.
 */
export async function resealSigningKeys(store: ProviderStore, config: Pick<GrantryConfig, 'secret'>, oldSecret: string): Promise<{ resealed: string[]; already: string[] }> {
  const records = await store.keys.list();
  const resealed: { kid: string; privateJwk: string }[] = [];
  const already: string[] = [];
  const unopened: string[] = [];
  for (const record of records) {
    if (openPrivateJwk(config, record)) {
      already.push(record.kid);
      continue;
    }
    const privateJwk = openPrivateJwk({ secret: oldSecret }, record);
    if (!privateJwk) unopened.push(record.kid);
    else resealed.push({ kid: record.kid, privateJwk: seal(sealingKey(config), JSON.stringify(privateJwk), record.kid) });
  }
  if (unopened.length > 0) throw new SealedUnderAnotherSecretError(unopened);
  for (const key of resealed) await store.keys.reseal(key.kid, key.privateJwk);
  return { resealed: resealed.map((key) => key.kid), already };
}

/**
 * For a secret lost for good: deletes the keys this secret cannot open and makes a new one that
 * signs at once. Every token those keys signed stops verifying; refresh tokens (opaque, not
 * signed) keep working, so apps get new access tokens by refreshing.
 */
export async function replaceUnopenableKeys(store: ProviderStore, config: GrantryConfig): Promise<{ deleted: string[]; created: string }> {
  const deleted = await keysSealedUnderAnotherSecret(store, config);
  for (const kid of deleted) await store.keys.delete(kid);
  const created = await createSigningKey(store, config);
  for (const alg of ringAlgorithms) if (alg !== signingAlgorithm) await createSigningKey(store, config, now(), alg);
  return { deleted, created: created.kid };
}

/** Makes a new key pair and stores it, private half sealed. `activeFrom` lets it be published before it signs. */
export async function createSigningKey(store: ProviderStore, config: GrantryConfig, activeFrom = now(), alg: RingAlgorithm = signingAlgorithm): Promise<SigningKeyRecord> {
  const { publicKey, privateKey } = alg === 'RS256'
    ? await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
    : await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  const record: SigningKeyRecord = {
    kid,
    alg,
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
  // One new key for each algorithm of the ring; the EdDSA one, which signs access tokens, is reported.
  const created = await createSigningKey(store, config, activeFrom, 'EdDSA');
  for (const alg of ringAlgorithms) if (alg !== 'EdDSA') await createSigningKey(store, config, activeFrom, alg);
  const retired = existing.map((key) => key.kid);
  await store.keys.retire(retired, activeFrom);
  return { kid: created.kid, activeFrom, retired };
}

/** Loads the key ring, creating the first key on a fresh store. */
export async function loadKeyRing(store: ProviderStore, config: GrantryConfig): Promise<KeyRing> {
  let keys: LoadedKey[] = [];
  // A retired key is kept while tokens it signed may live: the longest access-token lifetime plus a margin.
  // ID tokens count too: apps present them back as id_token_hint (at logout, long after login).
  const keepAfterRetirement = Math.max(config.lifetimes.accessToken, config.lifetimes.implicitAccessToken, config.lifetimes.idToken) + config.lifetimes.retiredKeyMargin;

  async function load(): Promise<void> {
    let records = await store.keys.list();
    // A fresh store gets a key of each algorithm; one made before RS256 was in the ring gets its RS256
    // key, and so does one whose keys of an algorithm are all retired (a rotation by an older version).
    const signsNow = (record: SigningKeyRecord) => record.retiredAt === null || record.retiredAt > now();
    const missing = ringAlgorithms.filter((alg) => !records.some((record) => record.alg === alg && signsNow(record)));
    if (missing.length > 0) {
      for (const alg of missing) await createSigningKey(store, config, now(), alg);
      records = await store.keys.list();
    }
    const at = now();
    const loaded: LoadedKey[] = [];
    const unopened: string[] = [];
    for (const record of records) {
      if (record.retiredAt !== null && record.retiredAt + keepAfterRetirement < at) continue;
      const publicJwk = JSON.parse(record.publicJwk) as JWK;
      const canSign = record.retiredAt === null || record.retiredAt > at;
      const privateJwk = canSign ? openPrivateJwk(config, record) : undefined;
      if (canSign && !privateJwk) {
        unopened.push(record.kid);
        continue;
      }
      loaded.push({
        kid: record.kid,
        alg: record.alg,
        publicJwk,
        publicKey: (await importJWK(publicJwk, record.alg)) as CryptoKey,
        privateKey: privateJwk ? createPrivateKey({ key: privateJwk, format: 'jwk' }) : undefined,
        activeFrom: record.activeFrom,
        createdAt: record.createdAt,
        retiredAt: record.retiredAt,
      });
    }
    // Refused whole, before any key is used: a ring with some keys missing would sign with the wrong one.
    if (unopened.length > 0) throw new SealedUnderAnotherSecretError(unopened);
    keys = loaded;
  }

  await load();
  return {
    signingKey(alg: RingAlgorithm = signingAlgorithm) {
      const at = now();
      const usable = keys.filter((key) => key.alg === alg && key.privateKey && key.activeFrom <= at && (key.retiredAt === null || key.retiredAt > at));
      // The most recently activated key signs; keys activated in the same second are told apart by creation.
      const key = usable.reduce<LoadedKey | undefined>(
        (best, candidate) =>
          !best || candidate.activeFrom > best.activeFrom || (candidate.activeFrom === best.activeFrom && candidate.createdAt >= best.createdAt) ? candidate : best,
        undefined,
      );
      if (!key) throw new Error(`no ${alg} signing key is active: run \`grantry keys rotate\``);
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
