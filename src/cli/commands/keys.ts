import { rotateSigningKeys } from '../../provider/protocol/tokens/keys.ts';
import { print } from '../output.ts';
import { UsageError, type CommonFlags } from '../settings.ts';
import { withStore } from './with-store.ts';

export const keysOptions = {
  'publish-for': { type: 'string' },
} as const;

/**
 * grantry keys rotate [--publish-for SECONDS]: the new key is published at once and signs after
 * the given delay (by default long enough for running providers and JWKS caches to see it).
 */
export async function keysRotate(flags: CommonFlags & { 'publish-for'?: string; json?: boolean }): Promise<void> {
  await withStore(flags, async ({ store, config }) => {
    const publishFor = flags['publish-for'] !== undefined ? Number(flags['publish-for']) : config.lifetimes.signingKeyPublishBeforeUse;
    if (!Number.isInteger(publishFor) || publishFor < 0) throw new UsageError('--publish-for takes a whole number of seconds');
    const result = await rotateSigningKeys(store, config, publishFor);
    print(flags.json, { kid: result.kid, active_from: result.activeFrom, retired: result.retired }, [
      `Added signing key ${result.kid}; it is published now and signs from ${new Date(result.activeFrom * 1000).toISOString()}.`,
      ...(result.retired.length ? [`Retiring ${result.retired.join(', ')} then; they stay published until the tokens they signed have expired.`] : []),
    ]);
  });
}

export async function keysList(flags: CommonFlags & { json?: boolean }): Promise<void> {
  await withStore(flags, async ({ store }) => {
    const keys = await store.keys.list();
    const rows = keys.map((key) => ({ kid: key.kid, alg: key.alg, created_at: key.createdAt, active_from: key.activeFrom, retired_at: key.retiredAt }));
    print(flags.json, { keys: rows }, rows.map((key) => `${key.kid}  ${key.alg}  ${key.retired_at ? `retired ${new Date(key.retired_at * 1000).toISOString()}` : 'active'}`));
  });
}
