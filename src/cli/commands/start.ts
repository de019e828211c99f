import type { FastifyInstance } from 'fastify';
import { defaults } from '../../config/defaults.ts';
import { createProvider } from '../../provider/create.ts';
import { redactUrl } from '../../store/index.ts';
import { loadSettings, type CommonFlags } from '../settings.ts';
import { prepareDemo, type DemoSetup } from './demo.ts';

export const startOptions = {
  demo: { type: 'boolean' },
  'demo-port': { type: 'string' },
} as const;

type StartFlags = CommonFlags & { demo?: boolean; 'demo-port'?: string };

/**
 * grantry start: runs the provider. It never creates users or apps by itself; --demo (what
 * `npm start` runs) adds a demo user, an app for the demo website, and that website.
 */
export async function start(flags: StartFlags): Promise<void> {
  const { config, secretSource } = loadSettings(flags);
  // GRANTRY_LOG (a pino level) wins over the configured logLevel; 'silent' writes no log at all.
  const logLevel = process.env.GRANTRY_LOG ?? config.logLevel;
  const logging = logLevel !== 'silent';
  // The provider re-reads its signing keys now and then (`grantry keys rotate` may add one) and
  // runs the housekeeping purge; closing it stops both and closes the store.
  const app = await createProvider({ ...config, logger: logging ? { level: logLevel } : false });
  const ctx = app.grantry;
  await app.listen({ port: config.port, host: config.host });
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
  if (secretSource === 'generated') lines.push('  A new GRANTRY_SECRET was generated into ./data/secret; set GRANTRY_SECRET to use your own.');
  const colliding = await ctx.store.users.collidingUsernames();
  if (colliding.length > 0) {
    lines.push(`  ${colliding.length} username(s) differ from an older one only by case or form (${colliding.join(', ')}): they sign in by their exact name only; rename them.`);
  }

  let demo: DemoSetup | undefined;
  if (flags.demo) {
    demo = await prepareDemo(ctx, { port: Number(flags['demo-port'] ?? process.env.GRANTRY_DEMO_PORT ?? 4000) });
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
    // app.close() runs the server's onClose hooks: the timers stop, the audit trail's last batch
    // is written, and the store closes.
    await drain(app, config.shutdownTimeoutMs);
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
