import { createProviderContext } from '../../provider/context.ts';
import { buildProviderServer } from '../../provider/http/server.ts';
import { openStore, redactUrl } from '../../store/index.ts';
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
  const store = await openStore(config.databaseUrl);
  const ctx = await createProviderContext(config, store);
  const app = await buildProviderServer(ctx, { logger: process.env.GRANTRY_LOG === 'info' });
  await app.listen({ port: config.port, host: config.host });

  // Another process (`grantry keys rotate`) may add signing keys: read them again now and then.
  const reload = setInterval(() => void ctx.keys.reload().catch(() => {}), config.lifetimes.signingKeyReload * 1000);
  reload.unref();

  const lines = [
    `Grantry provider listening on ${config.issuer} (store: ${redactUrl(config.databaseUrl)})`,
    `  metadata:  ${config.issuer}/.well-known/oauth-authorization-server`,
    `  console:   ${config.issuer}/console`,
  ];
  if (secretSource === 'generated') lines.push('  A new GRANTRY_SECRET was generated into ./data/secret; set GRANTRY_SECRET to use your own.');

  let demo: DemoSetup | undefined;
  if (flags.demo) {
    demo = await prepareDemo(ctx, { port: Number(flags['demo-port'] ?? process.env.GRANTRY_DEMO_PORT ?? 4000) });
    lines.push(...demo.lines);
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  const stop = async () => {
    clearInterval(reload);
    await demo?.close();
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
