import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomToken } from '../../lib/crypto.ts';
import { listenFirst } from '../../lib/listen-first.ts';
import { hashPassword } from '../../provider/accounts/authenticate.ts';
import type { ProviderContext } from '../../provider/context.ts';
import { registerClient, updateClient } from '../../provider/protocol/clients.ts';

// Demo mode: a user to log in with and an app registered for the demo website, made once and
// remembered in ./data/demo.json (the store keeps only hashes, so the plain password and secret
// the newcomer needs live there).

export interface DemoSetup {
  lines: string[];
  close(): Promise<void>;
}

interface DemoFile {
  username: string;
  password: string;
  clientId: string;
  clientSecret: string;
  /** The browser-only page's app (a spa app with the implicit grant); absent from files written before it. */
  implicitClientId?: string;
}

const demoFile = './data/demo.json';

export async function prepareDemo(ctx: ProviderContext, options: { port: number }): Promise<DemoSetup> {
  // --demo-port 0: the system picks the port, known before the demo app's callback URLs are written.
  const early = options.port === 0 ? await listenFirst('127.0.0.1', 0) : undefined;
  const port = early?.port ?? options.port;
  const siteUrl = `http://localhost:${port}`;
  const demo = await ensureDemoData(ctx, siteUrl);
  const lines = [
    '',
    'Demo mode:',
    `  demo user:  ${demo.username} / ${demo.password}`,
    `  demo app:   client_id ${demo.clientId}  client_secret ${demo.clientSecret}`,
  ];
  let close = async () => {};
  try {
    const { startDemoSite } = await import('../../demo/index.ts');
    const site = await startDemoSite({
      port,
      ...(early ? { listening: early } : {}),
      providerIssuer: ctx.config.issuer,
      clientId: demo.clientId,
      clientSecret: demo.clientSecret,
      implicitClientId: demo.implicitClientId,
      // The site keeps its users and bindings in Connect's own tables, in the provider's database.
      databaseUrl: ctx.config.databaseUrl,
      secret: ctx.config.secret,
    });
    lines.push(`  demo website: ${siteUrl}`);
    close = () => site.close();
  } catch (error) {
    await early?.close();
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
  }
  return { lines, close };
}

async function ensureDemoData(ctx: ProviderContext, siteUrl: string): Promise<DemoFile> {
  const saved = existsSync(demoFile) ? (JSON.parse(readFileSync(demoFile, 'utf8')) as DemoFile) : undefined;
  if (saved && (await ctx.store.users.findByUsername(saved.username)) && (await ctx.store.clients.find(saved.clientId))) {
    // The site may run on another port than last time: its apps' callback URLs follow it.
    await followSite(ctx, saved.clientId, siteUrl, siteUrls(siteUrl).web, siteUrls(siteUrl).logout);
    if (saved.implicitClientId && (await ctx.store.clients.find(saved.implicitClientId))) {
      await followSite(ctx, saved.implicitClientId, `${siteUrl}/implicit`, siteUrls(siteUrl).implicit);
      return saved;
    }
    const user = (await ctx.store.users.findByUsername(saved.username))!;
    return writeDemoFile({ ...saved, implicitClientId: await registerImplicitApp(ctx, siteUrl, user.id) });
  }

  const password = saved?.password ?? randomToken(9);
  let user = await ctx.store.users.findByUsername('demo');
  if (user && !saved) {
    // The demo user outlived ./data/demo.json: give it a password that can be printed again.
    await ctx.store.users.updatePassword(user.id, await hashPassword(ctx.config, password));
  }
  if (!user) {
    user = await ctx.store.users.create({
      username: 'demo',
      passwordHash: await hashPassword(ctx.config, password),
      displayName: 'Demo User',
      email: 'demo@example.com',
    });
  }
  const { client, clientSecret } = await registerClient(ctx.store, ctx.config, {
    name: 'Grantry demo website',
    appType: 'web',
    description: 'The website that `npm start` runs beside the provider, logging its users in with Grantry.',
    homepage: siteUrl,
    redirectUris: siteUrls(siteUrl).web,
    // The site's logout ends the Grantry session too (RP-initiated logout), then comes home.
    postLogoutRedirectUris: siteUrls(siteUrl).logout,
    ownerId: user.id,
  });
  const implicitClientId = await registerImplicitApp(ctx, siteUrl, user.id);
  return writeDemoFile({ username: user.username, password, clientId: client.id, clientSecret: clientSecret!, implicitClientId });
}

function writeDemoFile(demo: DemoFile): DemoFile {
  mkdirSync(dirname(demoFile), { recursive: true });
  writeFileSync(demoFile, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  return demo;
}

/** The demo site's browser-only page (/implicit): a public spa app that opted in to the implicit grant. */
async function registerImplicitApp(ctx: ProviderContext, siteUrl: string, ownerId: string): Promise<string> {
  const { client } = await registerClient(ctx.store, ctx.config, {
    name: 'Grantry demo (browser-only page)',
    appType: 'spa',
    description: 'The demo website\'s page that gets a token by the implicit flow and reads /api/me from the browser.',
    homepage: `${siteUrl}/implicit`,
    redirectUris: siteUrls(siteUrl).implicit,
    grantTypes: ['authorization_code', 'implicit'],
    ownerId,
  });
  return client.id;
}

/** The callback URLs of the demo site's two apps, and where its logout returns to, at the site's address. */
function siteUrls(siteUrl: string) {
  return { web: [`${siteUrl}/auth/grantry/callback`, `${siteUrl}/spa/callback`], implicit: [`${siteUrl}/implicit`], logout: [`${siteUrl}/`] };
}

/** Points a demo app at the site's current address, if it moved (an app made before logout return URLs gets them). */
async function followSite(ctx: ProviderContext, clientId: string, homepage: string, redirectUris: string[], postLogoutRedirectUris?: string[]): Promise<void> {
  const client = await ctx.store.clients.find(clientId);
  const logoutFollows = postLogoutRedirectUris === undefined || (client?.postLogoutRedirectUris ?? []).join(' ') === postLogoutRedirectUris.join(' ');
  if (!client || (client.homepage === homepage && client.redirectUris.join(' ') === redirectUris.join(' ') && logoutFollows)) return;
  await updateClient(ctx.store, ctx.config, clientId, { homepage, redirectUris, ...(postLogoutRedirectUris ? { postLogoutRedirectUris } : {}) });
}
