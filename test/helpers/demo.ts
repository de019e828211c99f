import type { GrantryConfig } from '../../src/config/config.ts';
import { startDemoSite, type DemoSite, type DemoSiteOptions } from '../../src/demo/index.ts';
import { registerClient } from '../../src/provider/protocol/clients.ts';
import type { ProviderStore } from '../../src/provider/storage.ts';
import { testSecret } from './provider.ts';

export interface RunningDemo {
  site: DemoSite;
  /** The site as its app is registered: http://localhost:PORT. */
  siteUrl: string;
  /** The same site by address, for clients that should not resolve localhost: http://127.0.0.1:PORT. */
  base: string;
  app: Awaited<ReturnType<typeof registerClient>>;
}

/**
 * The demo website on a port the system picks, logging in with the given provider. Its app is
 * registered first (the site needs its credentials to start) and given its callback URLs once the
 * site's port is known: no port is guessed beforehand, so no other test can take it.
 */
export async function startDemoFor(
  provider: { store: ProviderStore; config: GrantryConfig; issuer: string; databaseUrl: string },
  options: Partial<DemoSiteOptions> = {},
): Promise<RunningDemo> {
  const app = await registerClient(provider.store, provider.config, { name: 'Demo site', appType: 'web', redirectUris: ['http://localhost/auth/grantry/callback'] });
  const site = await startDemoSite({
    port: 0,
    host: '127.0.0.1',
    providerIssuer: provider.issuer,
    clientId: app.client.id,
    clientSecret: app.clientSecret!,
    databaseUrl: provider.databaseUrl,
    secret: testSecret,
    // Tests sign people up from 127.0.0.1 again and again.
    login: { signupsPerAddress: 10_000 },
    ...options,
  });
  const siteUrl = site.url;
  // As grantry start --demo registers it: the site's logout comes back to its home page (RP-initiated logout).
  await provider.store.clients.update(app.client.id, { redirectUris: [`${siteUrl}/auth/grantry/callback`, `${siteUrl}/spa/callback`], postLogoutRedirectUris: [`${siteUrl}/`] });
  return { site, siteUrl, base: siteUrl.replace('//localhost:', '//127.0.0.1:'), app: { ...app, client: (await provider.store.clients.find(app.client.id))! } };
}
