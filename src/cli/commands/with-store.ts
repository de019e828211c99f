import type { GrantryConfig } from '../../config/config.ts';
import { openStore, type Store } from '../../store/index.ts';
import { databaseProblem } from '../problems.ts';
import { loadSettings, type CommonFlags, type LoadedSettings } from '../settings.ts';

/**
 * Opens the store that the flags and environment name, runs `work`, and closes it. The store must
 * exist already: only `grantry start` makes one, so a mistyped path is said, not made.
 */
export async function withStore<T>(
  flags: CommonFlags,
  work: (opened: { store: Store; config: GrantryConfig; settings: LoadedSettings }) => Promise<T>,
): Promise<T> {
  const settings = loadSettings(flags);
  const { config } = settings;
  let store: Store;
  try {
    store = await openStore(config.databaseUrl, { mustExist: true });
  } catch (error) {
    throw databaseProblem(error, config.databaseUrl, 'other') ?? error;
  }
  try {
    return await work({ store, config, settings });
  } catch (error) {
    throw databaseProblem(error, config.databaseUrl, 'other') ?? error;
  } finally {
    await store.close();
  }
}
