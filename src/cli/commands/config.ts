import { maskedConfig } from '../../config/settings-check.ts';
import { loadSettings, type CommonFlags } from '../settings.ts';

/**
 * grantry config: the configuration `grantry start` would run with — defaults, the file, GRANTRY_*
 * variables and flags put together and checked — as JSON, with the secret, the metrics token and
 * any database password masked. A bad setting fails here exactly as it would fail at start.
 */
export async function showConfig(flags: CommonFlags): Promise<void> {
  const { config, secretSource } = loadSettings(flags);
  process.stdout.write(`${JSON.stringify({ ...maskedConfig(config), secretSource }, null, 2)}\n`);
}
