import { existsSync, readFileSync } from 'node:fs';
import { generateSecretFile } from '../../config/config.ts';
import { defaults } from '../../config/defaults.ts';
import {
  keysSealedUnderAnotherSecret,
  replaceUnopenableKeys,
  resealSigningKeys,
  rotateSigningKeys,
  SealedUnderAnotherSecretError,
} from '../../provider/protocol/tokens/keys.ts';
import type { Store } from '../../store/index.ts';
import { print } from '../output.ts';
import { EnvironmentProblem } from '../problems.ts';
import { requireSecret, UsageError, type CommonFlags, type LoadedSettings } from '../settings.ts';
import { withStore } from './with-store.ts';

export const keysOptions = {
  'publish-for': { type: 'string' },
  'old-secret-file': { type: 'string' },
  yes: { type: 'boolean' },
} as const;

type KeysFlags = CommonFlags & { 'publish-for'?: string; 'old-secret-file'?: string; yes?: boolean; json?: boolean };

const resealHint = 'grantry keys reseal --old-secret-file FILE re-seals them under this one';

/** The secret, checked against the store's keys before anything is sealed with it. */
async function secretThatOpensTheKeys(store: Store, settings: LoadedSettings) {
  const config = requireSecret(settings);
  const unopened = await keysSealedUnderAnotherSecret(store, config);
  if (unopened.length > 0) throw new EnvironmentProblem(`the signing keys ${unopened.join(', ')} were sealed under another secret than this one: ${resealHint}`);
  return config;
}

/**
 * grantry keys rotate [--publish-for SECONDS]: the new key is published at once and signs after
 * the given delay (by default long enough for running providers and JWKS caches to see it).
 */
export async function keysRotate(flags: KeysFlags): Promise<void> {
  await withStore(flags, async ({ store, settings }) => {
    const config = await secretThatOpensTheKeys(store, settings);
    const publishFor = flags['publish-for'] !== undefined ? Number(flags['publish-for']) : config.lifetimes.signingKeyPublishBeforeUse;
    if (!Number.isInteger(publishFor) || publishFor < 0) throw new UsageError('--publish-for takes a whole number of seconds');
    const result = await rotateSigningKeys(store, config, publishFor);
    print(flags.json, { kid: result.kid, active_from: result.activeFrom, retired: result.retired }, [
      `Added signing key ${result.kid}; it is published now and signs from ${new Date(result.activeFrom * 1000).toISOString()}.`,
      ...(result.retired.length ? [`Retiring ${result.retired.join(', ')} then; they stay published until the tokens they signed have expired.`] : []),
    ]);
  });
}

export async function keysList(flags: KeysFlags): Promise<void> {
  await withStore(flags, async ({ store }) => {
    const keys = await store.keys.list();
    const rows = keys.map((key) => ({ kid: key.kid, alg: key.alg, created_at: key.createdAt, active_from: key.activeFrom, retired_at: key.retiredAt }));
    print(flags.json, { keys: rows }, rows.map((key) => `${key.kid}  ${key.alg}  ${key.retired_at ? `retired ${new Date(key.retired_at * 1000).toISOString()}` : 'active'}`));
  });
}

/**
 * grantry keys reseal --old-secret-file FILE: moving to a new GRANTRY_SECRET. Every signing key
 * sealed under the old secret (GRANTRY_OLD_SECRET, or the first line of FILE) is sealed again under
 * the current one (GRANTRY_SECRET or ./data/secret; made into ./data/secret when there is neither).
 * Nothing else needs it: sessions and CSRF tokens made under the old secret simply end.
 */
export async function keysReseal(flags: KeysFlags): Promise<void> {
  const oldSecret = process.env.GRANTRY_OLD_SECRET ?? readSecretFile(flags['old-secret-file']);
  await withStore(flags, async ({ store, settings }) => {
    const config = settings.secretSource === 'missing' ? { ...settings.config, secret: generateSecretFile() } : settings.config;
    if (oldSecret === config.secret) throw new UsageError('the old secret is the current one: there is nothing to re-seal');
    try {
      const { resealed, already } = await resealSigningKeys(store, config, oldSecret);
      print(flags.json, { resealed, already_current: already, secret_generated: settings.secretSource === 'missing' }, [
        `Re-sealed ${resealed.length} signing key(s) under the ${settings.secretSource === 'missing' ? `new secret in ${defaults.secretFile}` : 'current secret'}${already.length ? ` (${already.length} already were)` : ''}.`,
      ]);
    } catch (error) {
      if (!(error instanceof SealedUnderAnotherSecretError)) throw error;
      throw new EnvironmentProblem(`the old secret does not open the signing keys ${error.kids.join(', ')} either: nothing was changed`);
    }
  });
}

/**
 * grantry keys reset --yes: for a secret lost for good. The keys the current secret cannot open are
 * deleted and a new one signs at once: every access token they signed stops working (apps refresh).
 */
export async function keysReset(flags: KeysFlags): Promise<void> {
  if (!flags.yes) throw new UsageError('keys reset deletes the signing keys this secret cannot open, and every access token they signed stops working: add --yes');
  await withStore(flags, async ({ store, settings }) => {
    if (settings.secretSource !== 'missing' && (await keysSealedUnderAnotherSecret(store, settings.config)).length === 0) {
      throw new UsageError('this secret opens every signing key: there is nothing to reset (grantry keys rotate adds a key)');
    }
    const config = settings.secretSource === 'missing' ? { ...settings.config, secret: generateSecretFile() } : settings.config;
    const { deleted, created } = await replaceUnopenableKeys(store, config);
    print(flags.json, { deleted, created }, [`Deleted ${deleted.length} signing key(s) that could not be opened; ${created} signs from now on.`]);
  });
}

function readSecretFile(path: string | undefined): string {
  if (!path) throw new UsageError('keys reseal needs the old secret: --old-secret-file FILE or GRANTRY_OLD_SECRET');
  if (!existsSync(path)) throw new UsageError(`${path} does not exist`);
  const secret = readFileSync(path, 'utf8').split('\n')[0]!.trim();
  if (!secret) throw new UsageError(`${path} is empty`);
  return secret;
}
