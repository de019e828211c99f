import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, makeConfig, resolveSecret, type ConfigOverrides, type GrantryConfig } from '../config/config.ts';
import { checkOverrides, overridesFromEnv } from '../config/settings-check.ts';
import { defaults } from '../config/defaults.ts';

// How the command line turns flags, environment variables and an optional JSON file into one
// configuration. Flags win over the environment, the environment over the file, the file over
// the defaults (../config/defaults.ts). Every setting has a variable named after it
// (GRANTRY_LIFETIMES__ACCESS_TOKEN for lifetimes.accessToken; see ../config/settings-check.ts), and
// the file's keys and both sources' values are checked before anything starts.

export interface CommonFlags {
  port?: string;
  host?: string;
  issuer?: string;
  'database-url'?: string;
  config?: string;
}

export interface LoadedSettings {
  /**
   * With the secret `missing`, config.secret is a random one of this process only, never written:
   * commands that read and write apps and users do not need the secret; those that do call
   * requireSecret, and `grantry start` decides whether a new one may be made.
   */
  config: GrantryConfig;
  secretSource: 'environment' | 'file' | 'missing';
}

export class UsageError extends Error {}

export function loadSettings(flags: CommonFlags, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  const fromFile = readConfigFile(flags.config ?? env.GRANTRY_CONFIG);
  const fromEnv = checkOverrides('environment', overridesFromEnv(env));
  const { secret, source } = resolveSecret(env);
  const secretOrStandIn = secret ?? randomBytes(32).toString('hex');
  const portText = flags.port;
  const port = portText !== undefined ? Number(portText) : undefined;
  if (port !== undefined && !Number.isInteger(port)) throw new UsageError(`--port takes a number, not "${portText}"`);
  const overrides: ConfigOverrides & { secret: string } = {
    ...mergeSettings(fromFile, fromEnv),
    secret: secretOrStandIn,
    ...(port !== undefined ? { port } : {}),
    ...pick('host', flags.host),
    ...pick('issuer', flags.issuer),
    ...pick('databaseUrl', flags['database-url']),
  };
  return { config: makeConfig(overrides), secretSource: source };
}

/** The settings of a command that seals or opens something with the secret: refused when there is none. */
export function requireSecret(settings: LoadedSettings): GrantryConfig {
  if (settings.secretSource === 'missing') {
    throw new UsageError(`there is no secret: set GRANTRY_SECRET, or run where ${defaults.secretFile} is (grantry start writes it on a first start)`);
  }
  return settings.config;
}

/** The environment's settings over the file's; a group (lifetimes, audit, …) is merged key by key. */
function mergeSettings(base: Record<string, any>, over: Record<string, any>): ConfigOverrides {
  const merged: Record<string, any> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const isGroup = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    merged[key] = isGroup(value) && isGroup(base[key]) ? { ...base[key], ...value } : value;
  }
  return merged as ConfigOverrides;
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
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${file} must hold one JSON object of settings`);
    if ('secret' in parsed) throw new UsageError(`keep the secret out of ${file}: set GRANTRY_SECRET instead`);
    return checkOverrides(file, parsed as Record<string, unknown>);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) throw error;
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

export const defaultDatabaseUrl = defaults.databaseUrl;
