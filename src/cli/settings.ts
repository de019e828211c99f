import { existsSync, readFileSync } from 'node:fs';
import { makeConfig, resolveSecret, type ConfigOverrides, type GrantryConfig } from '../config/config.ts';
import { defaults } from '../config/defaults.ts';

// How the command line turns flags, environment variables and an optional JSON file into one
// configuration. Flags win over the environment, the environment over the file, the file over
// the defaults (../config/defaults.ts).

export interface CommonFlags {
  port?: string;
  host?: string;
  issuer?: string;
  'database-url'?: string;
  config?: string;
}

export interface LoadedSettings {
  config: GrantryConfig;
  secretSource: 'environment' | 'file' | 'generated';
}

export class UsageError extends Error {}

export function loadSettings(flags: CommonFlags, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  const fromFile = readConfigFile(flags.config ?? env.GRANTRY_CONFIG);
  const { secret, source } = resolveSecret(env);
  const portText = flags.port ?? env.GRANTRY_PORT;
  const port = portText !== undefined ? Number(portText) : fromFile.port;
  if (port !== undefined && !Number.isInteger(port)) throw new UsageError(`--port takes a number, not "${portText}"`);
  const overrides: ConfigOverrides & { secret: string } = {
    ...fromFile,
    secret,
    ...(port !== undefined ? { port } : {}),
    ...pick('host', flags.host ?? env.GRANTRY_HOST),
    ...pick('issuer', flags.issuer ?? env.GRANTRY_ISSUER),
    ...pick('databaseUrl', flags['database-url'] ?? env.GRANTRY_DATABASE_URL),
  };
  return { config: makeConfig(overrides), secretSource: source };
}

function pick<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/**
 * The optional JSON configuration file: any field of the configuration (scopes with their
 * descriptions, lifetimes, login throttling, …). `./grantry.config.json` is read when present.
 */
function readConfigFile(path: string | undefined): ConfigOverrides {
  const file = path ?? './grantry.config.json';
  if (!existsSync(file)) {
    if (path) throw new UsageError(`the configuration file ${path} does not exist`);
    return {};
  }
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as ConfigOverrides & { secret?: unknown };
    if ('secret' in parsed) throw new UsageError(`keep the secret out of ${file}: set GRANTRY_SECRET instead`);
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

export const defaultDatabaseUrl = defaults.databaseUrl;
