import type { GrantryConfig } from '../../config/config.ts';
import { openStore, type Store } from '../../store/index.ts';
import { loadSettings, type CommonFlags } from '../settings.ts';

/** Opens the store that the flags and environment name, runs `work`, and closes it. */
export async function withStore<T>(flags: CommonFlags, work: (opened: { store: Store; config: GrantryConfig }) => Promise<T>): Promise<T> {
  const { config } = loadSettings(flags);
  const store = await openStore(config.databaseUrl);
  try {
    return await work({ store, config });
  } finally {
    await store.close();
  }
}
