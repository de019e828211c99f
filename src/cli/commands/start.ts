import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { generateSecretFile } from '../../config/config.ts';
import { defaults } from '../../config/defaults.ts';
import { createProvider, type GrantryServer } from '../../provider/create.ts';
import { createMetrics } from '../../provider/metrics.ts';
import { openStore, redactUrl, type Store } from '../../store/index.ts';
import { databaseProblem, EnvironmentProblem, listenProblem, secretProblem } from '../problems.ts';
import { loadSettings, UsageError, type CommonFlags, type LoadedSettings } from '../settings.ts';
import { prepareDemo, type DemoSetup } from './demo.ts';

export const startOptions = {
  demo: { type: 'boolean' },
  'demo-port': { type: 'string' },
} as const;

type StartFlags = CommonFlags & { demo?: boolean; 'demo-port'?: string };

const portSetting = { port: '--port (or GRANTRY_PORT)', host: '--host (or GRANTRY_HOST)' };
const demoPortSetting = { port: '--demo-port (or GRANTRY_DEMO_PORT)', host: '--host (or GRANTRY_HOST)' };

/**
 * grantry start: runs the provider. It never creates users or apps by itself; --demo (what
 * `npm start` runs) adds a demo user, an app for the demo website, and that website.
 */
export async function start(flags: StartFlags, words: string[] = []): Promise<void> {
  refuseFlagsNpmKept(flags, words);
  const settings = loadSettings(flags);
  const { config } = settings;
  const demoPort = flags.demo ? demoPortOf(flags) : undefined;
  // GRANTRY_LOG (a pino level) wins over the configured logLevel; 'silent' writes no log at all.
  const logLevel = process.env.GRANTRY_LOG ?? config.logLevel;
  const logging = logLevel !== 'silent';
  const metrics = createMetrics();
  const store = await openProviderStore(config.databaseUrl, { onQuery: metrics.observeQuery, poolSize: config.databasePoolSize });
  let app: GrantryServer;
  let generated = false;
  try {
    if (settings.secretSource === 'missing') {
      config.secret = await newSecretFor(store);
      generated = true;
    }
    // The provider re-reads its signing keys now and then (`grantry keys rotate` may add one) and
    // runs the housekeeping purge; closing it stops both.
    app = await createProvider({ ...config, store, metrics, logger: logging ? { level: logLevel } : false });
  } catch (error) {
    await store.close();
    throw secretProblem(error, settings.secretSource === 'environment' ? 'environment' : 'file', otherSecretFile(settings)) ?? databaseProblem(error, config.databaseUrl, 'start') ?? error;
  }
  const closeAll = async () => {
    await app.close();
    await store.close();
  };
  const ctx = app.grantry;
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await closeAll();
    throw listenProblem(error, portSetting) ?? error;
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : config.port;
  const issuer = new URL(ctx.config.issuer);
  if (issuer.port === '0') {
    // --port 0 lets the system choose a free port; an issuer on port 0 (the one derived from
    // --port 0, or one given so) takes the port it chose.
    issuer.port = String(boundPort);
    ctx.config.issuer = issuer.href.replace(/\/$/, '');
  }
  // Behind a proxy the issuer is not where this process listens: then both are said.
  const served = issuer.port === String(boundPort)
    ? ctx.config.issuer
    : `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${boundPort} for the issuer ${ctx.config.issuer}`;

  const lines = [
    `Grantry provider listening on ${served} (store: ${redactUrl(config.databaseUrl)})`,
    `  metadata:  ${ctx.config.issuer}/.well-known/oauth-authorization-server`,
    `  console:   ${ctx.config.issuer}/console`,
  ];
  if (generated) lines.push(`  A new GRANTRY_SECRET was generated into ${defaults.secretFile}; keep it (it seals the signing keys). To use your own, see grantry keys reseal.`);
  const colliding = await ctx.store.users.collidingUsernames();
  if (colliding.length > 0) {
    lines.push(`  ${colliding.length} username(s) differ from an older one only by case or form (${colliding.join(', ')}): they sign in by their exact name only; rename them.`);
  }

  let demo: DemoSetup | undefined;
  if (demoPort !== undefined) {
    try {
      demo = await prepareDemo(ctx, { port: demoPort });
    } catch (error) {
      await closeAll();
      throw listenProblem(error, demoPortSetting) ?? error;
    }
    lines.push(...demo.lines);
  }
  // With the JSON log on, stdout holds JSON lines only: the greeting goes through the log too.
  if (logging) app.log.info({ issuer: ctx.config.issuer }, lines.map((line) => line.trim()).join(' · '));
  else process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    // A second signal while draining ends the process at once: the operator has lost patience.
    if (stopping) process.exit(1);
    stopping = true;
    if (logging) app.log.info({ signal }, 'Grantry provider: finishing requests in flight');
    else process.stdout.write(`Grantry provider: ${signal}, finishing requests in flight\n`);
    await demo?.close();
    // app.close() runs the server's onClose hooks: the timers stop and the audit trail's last
    // batch is written; then the store closes.
    await drain(app, config.shutdownTimeoutMs);
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

/**
 * Stops accepting connections and waits for every request in flight to be answered. Node closes
 * the connections that are idle when the server closes, but a keep-alive connection that was busy
 * then would stay open for its keep-alive timeout after its answer; closing idle connections again
 * every few milliseconds ends each as soon as its last answer is sent. A request that arrives on
 * such a connection at that very moment sees the connection close before it is read — a clean
 * failure that a client may retry elsewhere — never a half-sent answer. Past `timeoutMs`, whatever
 * is still open is cut.
 */
async function drain(app: FastifyInstance, timeoutMs: number): Promise<void> {
  const reaper = setInterval(() => app.server.closeIdleConnections(), defaults.shutdownIdleSweepMs);
  const deadline = setTimeout(() => app.server.closeAllConnections(), timeoutMs);
  try {
    await app.close();
  } finally {
    clearInterval(reaper);
    clearTimeout(deadline);
  }
}

function demoPortOf(flags: StartFlags): number {
  const text = flags['demo-port'] ?? process.env.GRANTRY_DEMO_PORT ?? String(defaults.demoPort);
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--demo-port (or GRANTRY_DEMO_PORT) takes a port number, not "${text}"`);
  return port;
}

/**
 * The provider's store. A SQLite file is made on a first start, and so is the default directory
 * (./data); a directory named in --database-url must exist: a mistyped path is said, not made.
 */
async function openProviderStore(url: string, options: { onQuery: (sql: string, seconds: number) => void; poolSize: number }): Promise<Store> {
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : undefined;
  const defaultDirectory = resolve(dirname(defaults.databaseUrl.slice('sqlite:'.length)));
  const createDirectories = path !== undefined && resolve(dirname(path)) === defaultDirectory;
  try {
    return await openStore(url, { ...options, createDirectories });
  } catch (error) {
    throw databaseProblem(error, url, 'start') ?? error;
  }
}

/**
 * A secret for a store that has none configured: made (into ./data/secret) only when the store
 * holds no signing key yet. Keys sealed under a secret that is now lost must not be met with a
 * new secret that cannot open them: that is said instead.
 */
async function newSecretFor(store: Store): Promise<string> {
  const keys = await store.keys.list();
  if (keys.length > 0) {
    throw new EnvironmentProblem(
      `${defaults.secretFile} is missing and GRANTRY_SECRET is not set, but the database holds signing keys sealed under a secret: ` +
        `restore ${defaults.secretFile} or set GRANTRY_SECRET to the secret they were made with. ` +
        'If it is lost for good, grantry keys reset --yes replaces the keys (every access token issued so far stops working).',
    );
  }
  return generateSecretFile();
}

/** ./data/secret when GRANTRY_SECRET is what is used and the file holds another secret: a hint at which secret sealed the keys. */
function otherSecretFile(settings: LoadedSettings): string | undefined {
  if (settings.secretSource !== 'environment' || !existsSync(defaults.secretFile)) return undefined;
  return readFileSync(defaults.secretFile, 'utf8').trim() === settings.config.secret ? undefined : defaults.secretFile;
}

/**
 * `npm start --port 3100` gives the flag to npm, not to Grantry: npm keeps `--port` (as
 * npm_config_port) and passes the bare `3100` on, and the provider would start on 3000 as if
 * nothing had been asked. Bare words are refused, and under `npm start` the way to pass the flag is said.
 */
function refuseFlagsNpmKept(flags: StartFlags, words: string[], env: NodeJS.ProcessEnv = process.env): void {
  const kept = env.npm_lifecycle_event === 'start'
    ? (['port', 'host', 'issuer', 'database-url', 'demo-port'] as const).filter((flag) => env[`npm_config_${flag.replace(/-/g, '_')}`] !== undefined && flags[flag] === undefined)
    : [];
  if (kept.length === 0 && words.length === 0) return;
  if (kept.length === 0) throw new UsageError(`start takes flags only, not ${words.map((word) => `"${word}"`).join(' ')}`);
  const value = (flag: string) => env[`npm_config_${flag.replace(/-/g, '_')}`];
  const suggestion = kept.length === 1 && words.length <= 1
    ? `--${kept[0]} ${words[0] ?? value(kept[0]!)}`
    : kept.map((flag) => `--${flag} …`).join(' ');
  throw new UsageError(`npm kept ${kept.map((flag) => `--${flag}`).join(', ')} for itself: pass flags to Grantry after a double dash, npm start -- ${suggestion}`);
}
