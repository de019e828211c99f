import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { defaults } from './defaults.ts';

type Lifetimes = { -readonly [K in keyof typeof defaults.lifetimes]: number };
type LoginThrottle = { -readonly [K in keyof typeof defaults.login]: number };
type AuditSettings = { -readonly [K in keyof typeof defaults.audit]: number };
type HousekeepingSettings = { -readonly [K in keyof typeof defaults.housekeeping]: number };
type BackchannelLogoutSettings = { -readonly [K in keyof typeof defaults.backchannelLogout]: number };
type Features = { -readonly [K in keyof typeof defaults.features]: boolean };
type HttpTimeouts = { -readonly [K in keyof typeof defaults.http]: number };
type ClientDocumentSettings = { -readonly [K in keyof typeof defaults.clientIdMetadataDocuments]: (typeof defaults.clientIdMetadataDocuments)[K] extends readonly string[] ? string[] : (typeof defaults.clientIdMetadataDocuments)[K] extends boolean ? boolean : number };
type RegistrationSettings = { -readonly [K in Exclude<keyof typeof defaults.registration, 'mode'>]: number } & { mode: (typeof defaults.registration)['mode'] };
type ConsoleSettings = { operators: string[] };

/** The whole of a running provider's configuration, every field filled. */
export interface GrantryConfig {
  issuer: string;
  port: number;
  host: string;
  databaseUrl: string;
  /** At least 32 characters; encrypts signing keys at rest and signs CSRF tokens. */
  secret: string;
  lifetimes: Lifetimes;
  login: LoginThrottle;
  /** scope name → the words the consent page shows for it */
  scopes: Record<string, string>;
  defaultScope: string;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** Whether visitors may create their own account at /signup. */
  allowSignup: boolean;
  /** Seconds an app's record may be served from memory (0: never); see src/store/client-cache.ts. */
  clientCacheSeconds: number;
  audit: AuditSettings;
  readyTimeoutMs: number;
  databasePoolSize: number;
  shutdownTimeoutMs: number;
  /** The bearer token GET /metrics asks for; null: loopback callers only. */
  metricsToken: string | null;
  /** Fastify's trustProxy: false, true, or a comma-separated list of proxy addresses/CIDRs. */
  trustProxy: boolean | string;
  logLevel: (typeof defaults)['logLevel'];
  housekeeping: HousekeepingSettings;
  /** Delivery of back-channel logout tokens (see defaults.backchannelLogout). */
  backchannelLogout: BackchannelLogoutSettings;
  /** Protocol features switched on or off (see defaults.features). */
  features: Features;
  /** Seconds an authorization request waits for its person to log in and decide. */
  authorizationRequestLifetime: number;
  /** How long a request's headers, and the whole request, may take to arrive (ms). */
  http: HttpTimeouts;
  /** Dynamic client registration (RFC 7591/7592; see defaults.registration). */
  registration: RegistrationSettings;
  /** The web console: who its operators are (see defaults.console). */
  console: ConsoleSettings;
  /** Apps known by the URL of their own metadata document (see defaults.clientIdMetadataDocuments). */
  clientIdMetadataDocuments: ClientDocumentSettings;
}

export type ConfigOverrides = Partial<Omit<GrantryConfig, 'lifetimes' | 'login' | 'argon2' | 'audit' | 'housekeeping' | 'backchannelLogout' | 'features' | 'http' | 'registration' | 'console' | 'clientIdMetadataDocuments'>> & {
  clientIdMetadataDocuments?: Partial<ClientDocumentSettings>;
  registration?: Partial<RegistrationSettings>;
  console?: Partial<ConsoleSettings>;
  backchannelLogout?: Partial<BackchannelLogoutSettings>;
  features?: Partial<Features>;
  http?: Partial<HttpTimeouts>;
  audit?: Partial<AuditSettings>;
  housekeeping?: Partial<HousekeepingSettings>;
  lifetimes?: Partial<Lifetimes>;
  login?: Partial<LoginThrottle>;
  argon2?: Partial<GrantryConfig['argon2']>;
};

export class ConfigError extends Error {}

/** Builds a full configuration from defaults and the given overrides; the secret must be given. */
export function makeConfig(overrides: ConfigOverrides & { secret: string }): GrantryConfig {
  const port = overrides.port ?? defaults.port;
  const host = overrides.host ?? defaults.host;
  const config: GrantryConfig = {
    issuer: stripTrailingSlash(overrides.issuer ?? `http://localhost:${port}`),
    port,
    host,
    databaseUrl: overrides.databaseUrl ?? defaults.databaseUrl,
    secret: overrides.secret,
    lifetimes: { ...defaults.lifetimes, ...overrides.lifetimes },
    login: { ...defaults.login, ...overrides.login },
    scopes: { ...defaults.scopes, ...overrides.scopes },
    defaultScope: overrides.defaultScope ?? defaults.defaultScope,
    argon2: { ...defaults.argon2, ...overrides.argon2 },
    allowSignup: overrides.allowSignup ?? true,
    clientCacheSeconds: overrides.clientCacheSeconds ?? defaults.clientCacheSeconds,
    audit: { ...defaults.audit, ...overrides.audit },
    readyTimeoutMs: overrides.readyTimeoutMs ?? defaults.readyTimeoutMs,
    databasePoolSize: overrides.databasePoolSize ?? defaults.databasePoolSize,
    shutdownTimeoutMs: overrides.shutdownTimeoutMs ?? defaults.shutdownTimeoutMs,
    metricsToken: overrides.metricsToken ?? defaults.metricsToken,
    trustProxy: overrides.trustProxy ?? defaults.trustProxy,
    logLevel: overrides.logLevel ?? defaults.logLevel,
    housekeeping: { ...defaults.housekeeping, ...overrides.housekeeping },
    backchannelLogout: { ...defaults.backchannelLogout, ...overrides.backchannelLogout },
    features: { ...defaults.features, ...overrides.features },
    authorizationRequestLifetime: overrides.authorizationRequestLifetime ?? defaults.authorizationRequestLifetime,
    http: { ...defaults.http, ...overrides.http },
    registration: { ...defaults.registration, ...overrides.registration },
    console: { operators: [...(overrides.console?.operators ?? defaults.console.operators)] },
    clientIdMetadataDocuments: {
      ...defaults.clientIdMetadataDocuments,
      ...overrides.clientIdMetadataDocuments,
      allowedHosts: [...(overrides.clientIdMetadataDocuments?.allowedHosts ?? defaults.clientIdMetadataDocuments.allowedHosts)],
    },
  };
  validateConfig(config);
  return config;
}

function validateConfig(config: GrantryConfig): void {
  if (config.secret.length < defaults.minimumSecretLength) {
    throw new ConfigError(`GRANTRY_SECRET must be at least ${defaults.minimumSecretLength} characters long`);
  }
  let issuer: URL;
  try {
    issuer = new URL(config.issuer);
  } catch {
    throw new ConfigError(`the issuer must be an absolute URL, not "${config.issuer}"`);
  }
  if (issuer.protocol !== 'https:' && issuer.protocol !== 'http:') {
    throw new ConfigError('the issuer must be an http or https URL');
  }
  if (issuer.search || issuer.hash) throw new ConfigError('the issuer must have no query and no fragment');
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new ConfigError(`the port must be a whole number from 0 to 65535, not ${config.port}`);
  }
  if (!Number.isFinite(config.clientCacheSeconds) || config.clientCacheSeconds < 0) {
    throw new ConfigError(`clientCacheSeconds must be a number of seconds, 0 or more, not ${config.clientCacheSeconds}`);
  }
  for (const name of Object.keys(config.scopes)) {
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(name)) throw new ConfigError(`"${name}" is not a valid scope name`);
  }
  if (!Object.hasOwn(config.scopes, config.defaultScope)) {
    throw new ConfigError(`the default scope "${config.defaultScope}" is not among the configured scopes`);
  }
  validateOperations(config);
  validateClientDocuments(config);
}

function validateClientDocuments(config: GrantryConfig): void {
  const settings = config.clientIdMetadataDocuments;
  // The draft allows the loopback exception only where the provider itself runs on loopback; an
  // https issuer is a deployment, where it would let anyone make the provider call its neighbours.
  const issuer = new URL(config.issuer);
  if (settings.allowInsecureLoopback && !(issuer.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname))) {
    throw new ConfigError('clientIdMetadataDocuments.allowInsecureLoopback is for development only: it needs the issuer itself to be http on loopback (localhost, 127.0.0.1, [::1])');
  }
  for (const host of settings.allowedHosts) {
    if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) {
      throw new ConfigError(`clientIdMetadataDocuments.allowedHosts: "${host}" is not a host name (lower case, like example.com or *.example.com)`);
    }
  }
  for (const name of ['maxBytes', 'timeoutMs', 'maxConcurrentFetches'] as const) {
    if (!Number.isInteger(settings[name]) || settings[name] < 1) throw new ConfigError(`clientIdMetadataDocuments.${name} must be a whole number, 1 or more, not ${settings[name]}`);
  }
  if (settings.minCacheSeconds > settings.maxCacheSeconds) {
    throw new ConfigError('clientIdMetadataDocuments.minCacheSeconds must not be more than maxCacheSeconds');
  }
}

/** The settings of running in production: health, metrics, proxies, logs, housekeeping. */
function validateOperations(config: GrantryConfig): void {
  const atLeastOne: [string, number][] = [
    ['audit.batchSize', config.audit.batchSize],
    ['audit.flushIntervalMs', config.audit.flushIntervalMs],
    ['housekeeping.batchSize', config.housekeeping.batchSize],
    ['housekeeping.maxBatches', config.housekeeping.maxBatches],
    ['readyTimeoutMs', config.readyTimeoutMs],
    ['databasePoolSize', config.databasePoolSize],
    ['authorizationRequestLifetime', config.authorizationRequestLifetime],
    ['http.headersTimeoutMs', config.http.headersTimeoutMs],
    ['http.requestTimeoutMs', config.http.requestTimeoutMs],
    ['registration.perAddress', config.registration.perAddress],
    ['registration.windowSeconds', config.registration.windowSeconds],
    ['registration.maxBodyBytes', config.registration.maxBodyBytes],
  ];
  for (const [name, value] of atLeastOne) {
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name} must be a whole number, 1 or more, not ${value}`);
  }
  if (config.metricsToken !== null && (config.metricsToken.length < 16 || !/^[!-~]+$/.test(config.metricsToken))) {
    throw new ConfigError('metricsToken must be at least 16 printable characters without spaces');
  }
  if (typeof config.trustProxy === 'string' && !/^\s*[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*\s*$/.test(config.trustProxy)) {
    throw new ConfigError(`trustProxy must be true, false or a comma-separated list of addresses or CIDR ranges, not "${config.trustProxy}"`);
  }
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    throw new ConfigError(`http.headersTimeoutMs (${config.http.headersTimeoutMs}) must not be longer than http.requestTimeoutMs (${config.http.requestTimeoutMs}): the headers are part of the request`);
  }
  const modes = ['off', 'open', 'token'];
  if (!modes.includes(config.registration.mode)) throw new ConfigError(`registration.mode must be one of ${modes.join(', ')}, not "${config.registration.mode}"`);
  if (!Number.isInteger(config.registration.unusedClientDays) || config.registration.unusedClientDays < 0) {
    throw new ConfigError(`registration.unusedClientDays must be a whole number of days, 0 (never) or more, not ${config.registration.unusedClientDays}`);
  }
  if (!Array.isArray(config.console.operators) || !config.console.operators.every((name) => typeof name === 'string' && name.trim() !== '')) {
    throw new ConfigError('console.operators must be a list of usernames');
  }
  const levels = ['silent', 'fatal', 'error', 'warn', 'info', 'debug'];
  if (!levels.includes(config.logLevel)) throw new ConfigError(`logLevel must be one of ${levels.join(', ')}, not "${config.logLevel}"`);
}

/**
 * The secret from GRANTRY_SECRET, or from ./data/secret (which `grantry start` writes on a local
 * install's first start: see generateSecretFile), or none yet. Nothing is generated here: whether
 * a new secret may be made depends on the database (see src/cli/commands/start.ts).
 */
export function resolveSecret(
  env: NodeJS.ProcessEnv,
  secretFile: string = defaults.secretFile,
): { secret: string; source: 'environment' | 'file' } | { secret: undefined; source: 'missing' } {
  if (env.GRANTRY_SECRET) return { secret: env.GRANTRY_SECRET, source: 'environment' };
  if (existsSync(secretFile)) return { secret: readFileSync(secretFile, 'utf8').trim(), source: 'file' };
  return { secret: undefined, source: 'missing' };
}

/** Makes a new secret and keeps it in ./data/secret (owner-only), for the starts that follow. */
export function generateSecretFile(secretFile: string = defaults.secretFile): string {
  const secret = randomBytes(32).toString('hex');
  mkdirSync(dirname(secretFile), { recursive: true });
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}

function stripTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
