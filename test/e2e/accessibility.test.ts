import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { randomToken, sha256 } from '../../src/lib/crypto.ts';
import { startDemoSite, type DemoSite } from '../../src/demo/index.ts';
import { t, type Locale } from '../../src/i18n/index.ts';
import { seriousAccessibilityProblems, type AxeFinding } from '../helpers/browser-axe.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { listenFirst } from '../../src/lib/listen-first.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { sqliteKind } from '../helpers/stores.ts';

// axe-core (WCAG 2.1 A and AA) on every page of the provider and of the demo site, in English and
// in Simplified Chinese, in headless Chromium with the pages' CSP on. A serious or critical finding
// fails the test, and the failure lists every one of them, page by page. Pages are seen 360 px wide.

const locales: Locale[] = ['en', 'zh-CN'];

describe('accessibility of every page, in both languages (axe-core in Chromium)', () => {
  let browser: Browser;
  let provider: RunningProvider;
  let site: DemoSite;
  const contexts: BrowserContext[] = [];

  before(async () => {
    const [launched, started, early] = await Promise.all([launchChromium(), startProvider(sqliteKind), listenFirst('127.0.0.1', 0)]);
    const sitePort = early.port;
    browser = launched;
    provider = started;
    const siteUrl = `http://localhost:${sitePort}`;
    const { client, clientSecret } = await provider.registerClient({ appType: 'web', name: 'Demo site', redirectUris: [`${siteUrl}/auth/grantry/callback`, `${siteUrl}/spa/callback`] });
    const spa = await provider.registerClient({ appType: 'spa', name: 'Browser-only demo', redirectUris: [`${siteUrl}/implicit`], grantTypes: ['authorization_code', 'implicit'] });
    site = await startDemoSite({
      port: sitePort, listening: early, providerIssuer: provider.url, clientId: client.id, clientSecret: clientSecret!, implicitClientId: spa.client.id,
      databaseUrl: provider.databaseUrl, login: { signupsPerAddress: 10_000 }, secret: 'accessibility-demo-secret-0123456789abcdef',
    });
  });
  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await site?.close();
    await provider?.close();
    await browser?.close();
  });

  async function visitor(locale: Locale, signedInAs?: { id: string }): Promise<Page> {
    const context = await browser.newContext({ locale: locale === 'en' ? 'en-US' : locale, viewport: { width: 360, height: 740 } });
    context.setDefaultTimeout(30_000);
    contexts.push(context);
    if (signedInAs) {
      const id = randomToken(32);
      const at = Math.floor(Date.now() / 1000);
      await provider.store.sessions.create({ sessionHash: sha256(id), userId: signedInAs.id, createdAt: at, expiresAt: at + 3600 });
      await context.addCookies([{ name: 'grantry_session', value: id, url: provider.url }]);
    }
    return context.newPage();
  }

  test('the check finds a serious problem when there is one', async () => {
    const page = await visitor('en');
    await page.goto(`${provider.url}/login`);
    await page.evaluate(() => {
      const input = document.createElement('input');
      input.type = 'text';
      document.querySelector('main')!.append(input);
    });
    const found = await seriousAccessibilityProblems(page);
    assert.ok(found.some((finding) => finding.id === 'label' && finding.impact === 'critical'), JSON.stringify(found));
  });

  for (const locale of locales) {
    test(`provider and demo pages in ${locale}`, async () => {
      const findings: string[] = [];
      const seen: string[] = [];
      const check = async (page: Page, label: string) => {
        assert.equal(await page.locator('html').getAttribute('lang'), locale, label);
        seen.push(label);
        // Readable on a 360 px phone: nothing wider than the window, so no sideways scrolling.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (overflow > 0) findings.push(`${label}: ${overflow} px wider than a 360 px window`);
        const found: AxeFinding[] = await seriousAccessibilityProblems(page);
        for (const finding of found) findings.push(`${label}: ${finding.impact} ${finding.id} (${finding.help}) at ${finding.targets.join(', ')}`);
      };
      const words = (key: Parameters<typeof t>[1]) => t(locale, key);

      // A stranger.
      const stranger = await visitor(locale);
      for (const path of ['/', '/login', '/signup', '/no/such/page', '/oauth2/authorize?response_type=code&client_id=nobody']) {
        await stranger.goto(`${provider.url}${path}`);
        await check(stranger, `provider ${path}`);
      }
      await stranger.goto(`${provider.url}/login`);
      await stranger.getByLabel(words('field.username')).fill('nobody');
      await stranger.getByLabel(words('field.password'), { exact: true }).fill('wrong password');
      await stranger.getByRole('button', { name: words('login.submit') }).click();
      await stranger.getByTestId('error').waitFor();
      await check(stranger, 'provider login refused');

      // A developer with apps.
      const developer = await provider.createUser(`dev-${locale}`, 'correct horse battery staple', { displayName: 'Developer' });
      const page = await visitor(locale, developer);
      await page.goto(`${provider.url}/console`);
      await check(page, 'console, no apps');
      await page.goto(`${provider.url}/console/apps/new`);
      await check(page, 'register an app');
      await page.getByLabel(words('field.appName')).fill('Album printer');
      await page.getByLabel(words('appType.web.label')).check();
      await page.getByLabel(words('field.callbackUrls')).fill('http://printer.example/cb');
      await page.getByRole('button', { name: words('newApp.submit') }).click();
      await page.getByTestId('error').waitFor();
      await check(page, 'register an app, refused');
      await page.getByLabel(words('field.callbackUrls')).fill('https://printer.example/cb');
      await page.getByRole('button', { name: words('newApp.submit') }).click();
      await page.getByTestId('app-secret').waitFor();
      await check(page, 'app page with its new secret');
      const appKey = (await page.getByTestId('app-key').textContent())!;
      await page.getByLabel(words('field.callbackUrls')).fill('https://printer.example/cb#x');
      await page.getByRole('button', { name: words('app.save'), exact: true }).click();
      await page.getByTestId('redirect_uris-error').waitFor();
      await check(page, 'app page, callback URLs refused');
      const { client: spa } = await provider.registerClient({ appType: 'spa', name: 'Gallery', ownerId: developer.id, redirectUris: ['http://localhost:5173/cb'] });
      const { client: service } = await provider.registerClient({ appType: 'service', name: 'Sync', ownerId: developer.id });
      for (const [label, path] of [
        ['console with apps', '/console'],
        ['spa app page', `/console/apps/${spa.id}`],
        ['service app page', `/console/apps/${service.id}`],
        ['app audit page', `/console/apps/${appKey}/audit`],
        ['connected apps, none', '/account/apps'],
      ]) {
        await page.goto(`${provider.url}${path}`);
        await check(page, label!);
      }

      // Consent, then connected apps with one app.
      await page.goto(`${provider.url}/oauth2/authorize?response_type=code&client_id=${appKey}&redirect_uri=${encodeURIComponent('https://printer.example/cb')}&scope=profile%20email&state=s&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
      await check(page, 'consent');
      await provider.store.grants.create({ id: randomUUID(), clientId: appKey, userId: developer.id, scope: 'profile email', createdAt: Math.floor(Date.now() / 1000) });
      const apps = await page.context().newPage();
      await apps.goto(`${provider.url}/account/apps`);
      await apps.getByTestId('connected-app').waitFor();
      await check(apps, 'connected apps');

      // The demo site's pages as a stranger sees them.
      const visitorPage = await visitor(locale);
      for (const path of ['/', '/spa', '/implicit']) {
        await visitorPage.goto(`${site.url}${path}`);
        await check(visitorPage, `demo ${path}`);
      }

      assert.ok(seen.length >= 20, `only ${seen.length} pages were checked`);
      assert.deepEqual(findings, [], `serious or critical accessibility findings:\n${findings.join('\n')}`);
    });
  }
});
