import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startDemoSite, type DemoSite } from '../../src/demo/index.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { sqliteKind } from '../helpers/stores.ts';
import { freePort } from '../helpers/ports.ts';
import { launchChromium } from '../helpers/chromium.ts';

// The demo site's single-page part in a real browser, against Grantry's own provider: the SPA
// button, the provider's login and consent pages, back to /spa/callback, the binding choice
// (first seen), "Create a new account", and the signed-in profile from /api/auth/me.

const siteSecret = 'demo-spa-e2e-secret-0123456789abcdef';

describe('the demo site\'s single-page part in a real browser (SQLite)', () => {
  let browser: Browser;
  let provider: RunningProvider;
  let site: DemoSite;

  before(async () => {
    browser = await launchChromium();
    provider = await startProvider(sqliteKind);
    const port = await freePort();
    const siteUrl = `http://localhost:${port}`;
    const { client, clientSecret } = await provider.registerClient({
      appType: 'web', name: 'Grantry demo site', redirectUris: [`${siteUrl}/auth/grantry/callback`, `${siteUrl}/spa/callback`],
    });
    site = await startDemoSite({ port, providerIssuer: provider.url, clientId: client.id, clientSecret: clientSecret!, store: provider.store, secret: siteSecret });
  });
  after(async () => {
    await site?.close();
    await provider?.close();
    await browser?.close();
  });

  test('Log in with Grantry from /spa, allow, choose "Create a new account", see the signed-in profile', async () => {
    const person = await provider.createUser('hopper', 'hopper password 1', { displayName: 'Grace Hopper' });
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    // Failed loads are listed by address below (the first renew's 401 is expected), not as console noise.
    page.on('console', (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && problems.push(`console: ${message.text()}`));
    const failed: string[] = [];
    page.on('response', (response) => response.status() >= 400 && failed.push(`${response.status()} ${new URL(response.url()).pathname}`));
    try {
      await page.goto(`${site.url}/spa`);
      await page.getByRole('status').filter({ hasText: 'Not signed in.' }).waitFor();
      await page.getByRole('button', { name: 'Log in with Grantry' }).click();

      await page.waitForURL((url) => url.href.startsWith(provider.url));
      await page.getByLabel('Username').fill(person.username);
      await page.getByLabel('Password').fill(person.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('button', { name: 'Allow' }).click();

      await page.waitForURL((url) => url.href.startsWith(`${site.url}/spa/callback`));
      await page.getByRole('status').filter({ hasText: 'this site does not know you yet' }).waitFor();
      assert.match((await page.getByRole('status').textContent())!, /Logged in at grantry as Grace Hopper/);
      assert.equal(new URL(page.url()).search, '', 'code and state are cleared from the address bar');
      const register = page.locator('#register');
      const bind = page.locator('#bind');
      assert.ok(await register.isVisible());
      assert.ok(await bind.isVisible());
      assert.ok(await register.getByRole('heading', { name: 'Create a new account' }).isVisible());
      assert.ok(await bind.getByRole('heading', { name: 'Bind to an account I have' }).isVisible());

      await register.getByLabel('Username').fill('grace');
      await register.getByLabel('Display name').fill('Grace H.');
      await register.getByRole('button', { name: 'Create and bind' }).click();

      await page.getByRole('status').filter({ hasText: 'Signed in as Grace H.' }).waitFor();
      assert.ok(!(await register.isVisible()) && !(await bind.isVisible()), 'the binding choice is gone');
      await page.locator('#me').filter({ hasText: '"username"' }).waitFor();
      const me = JSON.parse((await page.locator('#me').textContent())!);
      assert.equal(me.user.username, 'grace');
      assert.equal(me.user.displayName, 'Grace H.');
      assert.equal(me.identities.length, 1);
      assert.equal(me.identities[0].provider, 'grantry');
      assert.equal(me.identities[0].profile.name, 'Grace Hopper');
      assert.equal(me.identities[0].profile.email, person.email);

      // Back on the returnTo the button gave (/spa); a reload renews the site's token from its session cookie.
      assert.equal(new URL(page.url()).pathname, '/spa');
      await page.reload();
      await page.getByRole('status').filter({ hasText: 'Signed in as Grace H.' }).waitFor();
      // The provider's token never reached the page.
      const identity = (await provider.store.findIdentityBySubject('grantry', person.id))!;
      assert.equal(identity.userId !== null, true);
      assert.deepEqual(problems, []);
      assert.deepEqual(failed.filter((entry) => !entry.endsWith('/favicon.ico')), ['401 /api/auth/renew'], 'only the first visit\'s renew, before anyone signed in');
    } finally {
      await context.close();
    }
  });
});
