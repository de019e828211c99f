import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openConnectStore, type ConnectStore } from '../../src/connect/index.ts';
import { startDemoSite, type DemoSite } from '../../src/demo/index.ts';
import { t, type Locale, type MessageKey } from '../../src/i18n/index.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { sqliteKind } from '../helpers/stores.ts';
import { listenFirst, type EarlyServer } from '../../src/lib/listen-first.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { Shots } from '../helpers/browser-shots.ts';
import { basic } from '../helpers/basic.ts';

// The journeys people make through Grantry's pages and the demo website, in headless Chromium:
// one browser, one context per visitor, a provider and the demo site on loopback ports over a
// fresh SQLite store. Each journey saves its pages to test-artifacts/journeys/.

const siteSecret = 'journeys-demo-site-secret-0123456789abcdef';
// RFC 7636's example pair: the developer's own authorization request proves the App Key and Secret.
const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('journeys in a real browser (SQLite)', () => {
  let browser: Browser;
  let provider: RunningProvider;
  /** The demo site's port, held from the start: journey 1 registers the site's callbacks before the site runs. */
  let sitePort: EarlyServer;
  let siteUrl: string;
  let site: DemoSite | undefined;
  let siteApp: { clientId: string; clientSecret: string } | undefined;
  let implicitClientId: string;
  /** The demo site's own tables (Connect's), in the provider's database. */
  let siteStore: ConnectStore;
  const contexts: BrowserContext[] = [];

  before(async () => {
    [browser, provider, sitePort] = await Promise.all([launchChromium(), startProvider(sqliteKind), listenFirst('127.0.0.1', 0)]);
    siteUrl = `http://localhost:${sitePort.port}`;
    const spa = await provider.registerClient({ appType: 'spa', name: 'Browser-only demo', redirectUris: [`${siteUrl}/implicit`], grantTypes: ['authorization_code', 'implicit'] });
    implicitClientId = spa.client.id;
    siteStore = await openConnectStore(provider.databaseUrl);
  });
  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await site?.close();
    await sitePort?.close();
    await siteStore?.close();
    await provider?.close();
    await browser?.close();
  });

  /** A visitor's own browser profile, speaking one language. */
  async function visitor(locale: Locale = 'en', viewport = { width: 1000, height: 700 }): Promise<Page> {
    const context = await browser.newContext({ locale: locale === 'en' ? 'en-US' : locale, viewport });
    // Generous: the whole suite shares two cores with this browser.
    context.setDefaultTimeout(20_000);
    contexts.push(context);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    // A Content-Security-Policy refusal means part of a page (a script, a style, a call) did not run.
    page.on('console', (message) => message.type() === 'error' && /Content Security Policy/i.test(message.text()) && problems.push(message.text()));
    pageProblems.set(page, problems);
    return page;
  }

  const allShots: Shots[] = [];
  /** A journey's screenshots; each page shot is checked with axe too (see the last test). */
  function shotsFor(journey: string): Shots {
    const shots = new Shots(journey);
    allShots.push(shots);
    return shots;
  }

  /**
   * Presses Tab until the control with this name (its text, or its label for a field) has the
   * focus, and checks that the focus can be seen there.
   */
  async function tabTo(page: Page, name: string, maxPresses = 40): Promise<void> {
    for (let press = 0; press < maxPresses; press++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        if (!element || element === document.body) return null;
        const label = (element as HTMLInputElement).labels?.[0]?.textContent ?? '';
        const style = getComputedStyle(element);
        return { name: (label || element.textContent || '').trim(), outline: style.outlineStyle !== 'none' && style.outlineWidth !== '0px', shadow: style.boxShadow !== 'none' };
      });
      if (focused?.name === name) {
        assert.ok(focused.outline || focused.shadow, `the focus on "${name}" is visible`);
        return;
      }
    }
    assert.fail(`Tab never reached "${name}" in ${maxPresses} presses on ${page.url()}`);
  }

  /** Script errors a page has thrown so far. */
  const pageProblems = new WeakMap<Page, string[]>();
  const problemsOf = (page: Page) => pageProblems.get(page) ?? [];

  /**
   * The demo site, started with the App Key and Secret the developer copied in journey 1; should
   * that journey fail, with an app registered directly, so that the others still run.
   */
  async function demoSite(): Promise<DemoSite> {
    if (!site) {
      if (!siteApp) {
        const { client, clientSecret } = await provider.registerClient({ appType: 'web', name: 'Demo site', redirectUris: [`${siteUrl}/auth/grantry/callback`, `${siteUrl}/spa/callback`] });
        siteApp = { clientId: client.id, clientSecret: clientSecret! };
      }
      // The demo's logout ends the Grantry session too, and comes back to the site's home page:
      // registered as grantry start --demo registers it.
      await provider.store.clients.update(siteApp.clientId, { postLogoutRedirectUris: [`${siteUrl}/`] });
      site = await startDemoSite({ port: sitePort.port, listening: sitePort, providerIssuer: provider.url, ...siteApp, implicitClientId, databaseUrl: provider.databaseUrl, login: { signupsPerAddress: 10_000 }, secret: siteSecret });
    }
    return site;
  }

  const words = (locale: Locale, key: MessageKey, params?: Record<string, string>) => t(locale, key, params);

  async function logInAtProvider(page: Page, locale: Locale, user: { username: string; password: string }) {
    await page.waitForURL((url) => url.href.startsWith(`${provider.url}/login`));
    await page.getByLabel(words(locale, 'field.username')).fill(user.username);
    await page.getByLabel(words(locale, 'field.password'), { exact: true }).fill(user.password);
    await page.getByRole('button', { name: words(locale, 'login.submit') }).click();
  }

  test('1. a developer signs up, registers a web app, sets its callback URLs and copies the App Key and App Secret', async () => {
    const shots = shotsFor('1-developer');
    const page = await visitor();
    await page.goto(`${provider.url}/signup`);
    await page.getByLabel('Username').fill('devon');
    await page.getByLabel('Display name').fill('Devon Developer');
    await page.getByLabel('Password', { exact: true }).fill('devon password 1');
    await page.getByLabel('Password again').fill('devon password 1');
    await shots.take(page, 'signup');
    await page.getByRole('button', { name: 'Sign up' }).click();

    await page.goto(`${provider.url}/console`);
    await page.getByRole('link', { name: 'Register a new app' }).click();
    await page.getByLabel('App name').fill('Demo site');
    await page.getByLabel('Web app with a server').check();
    await page.getByLabel('Callback URLs').fill(`${siteUrl}/auth/grantry/callback`);
    await shots.take(page, 'new-app');
    await page.getByRole('button', { name: 'Register app' }).click();

    const clientId = (await page.getByTestId('app-key').textContent())!.trim();
    const clientSecret = (await page.getByTestId('app-secret').textContent())!.trim();
    assert.match(clientId, /^[0-9a-f]{32}$/, 'the App Key shown is 32 hex digits');
    assert.match(clientSecret, /^[A-Za-z0-9_-]{43,}$/, 'the App Secret shown is at least 43 base64url characters');
    await shots.take(page, 'registered');
    // The copy buttons put exactly what the page shows on the clipboard.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: provider.url });
    await page.getByRole('button', { name: 'Copy App Secret' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), clientSecret, '"Copy App Secret" puts the App Secret shown on the clipboard');
    await page.getByRole('button', { name: 'Copy App Key' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), clientId, '"Copy App Key" puts the App Key shown on the clipboard');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    assert.equal(await page.getByTestId('app-secret').isVisible(), false, 'the copy-once dialog closes');
    // The registration redirected after its POST: reloading the page registers nothing and shows no secret.
    await page.reload();
    await page.getByTestId('app-key').waitFor();
    assert.equal(await page.getByTestId('app-secret').count(), 0, 'a reload shows the App Secret no more');
    assert.equal((await provider.store.clients.list()).filter((client) => client.name === 'Demo site').length, 1, 'and registers no second app');

    // The single-page part of the demo site comes back to a second address.
    await page.getByLabel('Callback URLs').fill(`${siteUrl}/auth/grantry/callback\n${siteUrl}/spa/callback`);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    assert.equal(await page.getByLabel('Callback URLs').inputValue(), `${siteUrl}/auth/grantry/callback\n${siteUrl}/spa/callback`, 'the saved callback URLs are shown back, one a line');
    await shots.take(page, 'saved');
    const stored = (await provider.store.clients.find(clientId))!;
    assert.deepEqual(stored.redirectUris, [`${siteUrl}/auth/grantry/callback`, `${siteUrl}/spa/callback`], 'both callback URLs are stored, in order');
    assert.equal(stored.appType, 'web', 'the app is stored as a web app');

    // The copied pair works: the developer authorizes their own app and exchanges the code with it.
    // The site does not run yet (its port is held for it): the code is read off the request the browser makes.
    const authorize = new URL(`${provider.url}/oauth2/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code', client_id: clientId, redirect_uri: `${siteUrl}/auth/grantry/callback`, scope: 'profile', state: 'developer-state',
      code_challenge: challenge, code_challenge_method: 'S256',
    }).toString();
    await page.goto(authorize.href);
    await page.getByRole('heading', { name: 'Allow Demo site to use your account?' }).waitFor();
    const callbackRequest = page.waitForRequest((request) => request.url().startsWith(`${siteUrl}/auth/grantry/callback?`));
    await page.getByRole('button', { name: 'Allow' }).click();
    const callback = new URL((await callbackRequest).url());
    assert.equal(callback!.searchParams.get('state'), 'developer-state', 'the callback carries the state of the authorization request');
    const tokenRequest = (secret: string) =>
      fetch(`${provider.url}/oauth2/token`, {
        method: 'POST',
        headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: callback!.searchParams.get('code')!, redirect_uri: `${siteUrl}/auth/grantry/callback`, code_verifier: verifier }),
      });
    const wrong = await tokenRequest(`${clientSecret.slice(0, -1)}${clientSecret.endsWith('A') ? 'B' : 'A'}`);
    assert.equal(wrong.status, 401, 'a wrong App Secret is refused with 401');
    assert.equal((await wrong.json()).error, 'invalid_client', 'a wrong App Secret is invalid_client');
    const token = await tokenRequest(clientSecret);
    assert.equal(token.status, 200, 'the copied App Key and App Secret exchange the code (200)');
    const body = await token.json();
    const developer = (await provider.store.users.findByUsername('devon'))!;
    assert.equal(body.uid, developer.id, 'the token response names the developer by uid');
    const me = await (await fetch(`${provider.url}/api/me`, { headers: { authorization: `Bearer ${body.access_token}` } })).json();
    assert.deepEqual(me, { uid: developer.id, username: 'devon', display_name: 'Devon Developer' }, "the token reads the developer's profile at /api/me");
    siteApp = { clientId, clientSecret };
    assert.deepEqual(problemsOf(page), [], `no script error or CSP refusal on the pages: ${problemsOf(page).join('; ')}`);
  });

  /** Journey 2 in one language: returns the signed-in page, for journeys 3 and 5. */
  async function newVisitorSignsUp(locale: Locale, person: { username: string; password: string; displayName: string; id: string }, siteUsername: string) {
    const shots = shotsFor(`2-new-visitor-${locale}`);
    await demoSite();
    const page = await visitor(locale);
    const lang = () => page.locator('html').getAttribute('lang');
    await page.goto(`${siteUrl}/`);
    assert.equal(await lang(), locale, `the demo home page is in ${locale}`);
    await page.getByRole('heading', { name: words(locale, 'demo.home.title'), level: 1 }).waitFor();
    await shots.take(page, 'demo-home');
    await page.getByRole('button', { name: words(locale, 'demo.loginWith', { provider: 'Grantry' }) }).click();

    await page.waitForURL((url) => url.href.startsWith(`${provider.url}/login`));
    assert.equal(await lang(), locale, `the provider's login page is in ${locale}`);
    await page.getByRole('heading', { name: words(locale, 'login.title'), level: 1 }).waitFor();
    await shots.take(page, 'provider-login');
    await logInAtProvider(page, locale, person);

    await page.getByRole('heading', { name: words(locale, 'consent.title', { app: 'Demo site' }) }).waitFor();
    assert.equal(await lang(), locale, `the consent page is in ${locale}`);
    await page.getByText(words(locale, 'scope.email')).waitFor();
    await shots.take(page, 'consent');
    await page.getByRole('button', { name: words(locale, 'consent.allow') }).click();

    await page.waitForURL(`${siteUrl}/auth/pending`);
    assert.equal(await lang(), locale, `the binding page is in ${locale}`);
    await page.getByRole('heading', { name: words(locale, 'demo.pending.title', { provider: 'Grantry' }), level: 1 }).waitFor();
    await page.getByText(words(locale, 'demo.pending.intro', { provider: 'Grantry', name: person.displayName })).waitFor();
    await shots.take(page, 'binding');
    const create = page.getByRole('form', { name: words(locale, 'demo.pending.create') });
    assert.equal(await create.getByLabel(words(locale, 'demo.field.displayName')).inputValue(), person.displayName, 'the name comes from the provider');
    await create.getByLabel(words(locale, 'demo.field.username')).fill(siteUsername);
    await create.getByRole('button', { name: words(locale, 'demo.button.createAccount') }).click();

    await page.waitForURL(`${siteUrl}/account`);
    assert.equal(await lang(), locale, `the account page is in ${locale}`);
    await page.getByRole('heading', { name: words(locale, 'demo.account.title'), level: 1 }).waitFor();
    const live = page.getByTestId('live-profile');
    await live.getByRole('heading', { name: words(locale, 'demo.account.live', { provider: 'Grantry' }) }).waitFor();
    assert.equal(await live.locator('[data-field="uid"]').textContent(), person.id, "the live profile shows the provider's uid");
    assert.equal(await live.locator('[data-field="username"]').textContent(), person.username, "the live profile shows the provider's username");
    assert.equal(await live.locator('[data-field="display_name"]').textContent(), person.displayName, "the live profile shows the provider's display name");
    await shots.take(page, 'account');
    const identity = (await siteStore.findIdentityBySubject('grantry', person.id))!;
    assert.equal((await siteStore.findConnectUserById(identity.userId!))!.username, siteUsername, 'the identity is bound to the site account just created');
    assert.deepEqual(problemsOf(page), [], `no script error or CSP refusal on the pages: ${problemsOf(page).join('; ')}`);
    return page;
  }

  let ada: Awaited<ReturnType<RunningProvider['createUser']>>;
  let adaPage: Page | undefined;

  test('2. a visitor logs in with Grantry on the demo site, allows, creates an account on the binding page and sees the profile from /api/me (English)', async () => {
    ada = await provider.createUser('ada', 'ada password 1', { displayName: 'Ada Lovelace' });
    adaPage = await newVisitorSignsUp('en', ada, 'ada-site');
  });

  test('2. the same journey in Simplified Chinese (browser language zh-CN)', async () => {
    const li = await provider.createUser('lihua', 'lihua password 1', { displayName: '李华' });
    const page = await newVisitorSignsUp('zh-CN', li, 'lihua-site');
    // The switcher changes the language of this page, and the choice outlives the page.
    await page.getByRole('navigation', { name: t('zh-CN', 'lang.label') }).getByRole('link', { name: 'English' }).click();
    await page.waitForURL(`${siteUrl}/account`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the switcher changes the language of the page to English');
    await page.getByRole('heading', { name: 'Your account', level: 1 }).waitFor();
    await page.goto(`${siteUrl}/`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'remembered, over the browser\'s zh-CN');
  });

  test('2. the same through the single-page version (/spa): code and state carried to the back end in JSON, the binding choice, the site\'s own token', async () => {
    const shots = shotsFor('2-single-page');
    await demoSite();
    const person = await provider.createUser('hopper', 'hopper password 1', { displayName: 'Grace Hopper' });
    const page = await visitor();
    const failed: string[] = [];
    page.on('response', (response) => response.status() >= 400 && failed.push(`${response.status()} ${new URL(response.url()).pathname}`));
    await page.goto(`${siteUrl}/spa`);
    await page.getByRole('status').filter({ hasText: 'Not signed in.' }).waitFor();
    await page.getByRole('button', { name: 'Log in with Grantry' }).click();
    await logInAtProvider(page, 'en', person);
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.waitForURL((url) => url.href.startsWith(`${siteUrl}/spa/callback`));
    await page.getByRole('status').filter({ hasText: 'this site does not know you yet' }).waitFor();
    assert.equal(
      await page.getByRole('status').textContent(),
      'Logged in at Grantry as Grace Hopper; this site does not know you yet.',
      'the single-page version says the person is logged in at Grantry but unknown to the site',
    );
    assert.equal(new URL(page.url()).search, '', 'code and state are cleared from the address bar');
    const register = page.getByRole('form', { name: 'Create a new account' });
    assert.ok(await register.isVisible(), 'the single-page version offers to create a new account');
    assert.ok(await page.getByRole('form', { name: 'Bind to an account I have' }).isVisible(), 'the single-page version offers to bind to an existing account');
    await shots.take(page, 'binding');
    await register.getByLabel('Username').fill('grace');
    await register.getByLabel('Display name').fill('Grace H.');
    await register.getByRole('button', { name: 'Create and bind' }).click();

    await page.getByRole('status').filter({ hasText: 'Signed in as Grace H.' }).waitFor();
    assert.ok(!(await register.isVisible()), 'the binding choice is gone');
    await page.locator('#me').filter({ hasText: '"username"' }).waitFor();
    const me = JSON.parse((await page.locator('#me').textContent())!);
    assert.equal(me.user.username, 'grace', 'the new site account has the username chosen');
    assert.equal(me.user.displayName, 'Grace H.', 'the new site account has the display name chosen');
    assert.deepEqual(
      me.identities.map((i: { provider: string; profile: { name: string } }) => [i.provider, i.profile.name]),
      [['grantry', 'Grace Hopper']],
      'the Grantry identity is bound, with its name',
    );
    await shots.take(page, 'signed-in');
    // Back on the path the login started from; a reload renews the site's token from its session cookie.
    assert.equal(new URL(page.url()).pathname, '/spa', 'the single-page version comes back to /spa, where the login started');
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Signed in as Grace H.' }).waitFor();
    assert.deepEqual(problemsOf(page), [], `no script error or CSP refusal on the pages: ${problemsOf(page).join('; ')}`);
    assert.deepEqual(failed.filter((entry) => !entry.endsWith('/favicon.ico')), ['401 /api/auth/renew'], 'only the first visit\'s renew, before anyone signed in');
  });

  test('3. they log out of the demo site, which logs them out of Grantry too, log in again and go straight in: no consent, no binding', async () => {
    assert.ok(adaPage, 'journey 2 signed Ada in');
    const page = adaPage;
    const shots = shotsFor('3-returning');
    await page.goto(`${siteUrl}/account`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${siteUrl}/`);
    await page.goto(`${provider.url}/`);
    assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0, "Grantry's start page offers no Log out: the demo's logout ended the Grantry session too");
    await page.goto(`${siteUrl}/`);
    await shots.take(page, 'logged-out');

    const documents: string[] = [];
    page.on('response', (response) => {
      if (response.request().resourceType() === 'document') documents.push(`${response.status()} ${response.url()}`);
    });
    await page.getByRole('button', { name: 'Log in with Grantry' }).click();
    await logInAtProvider(page, 'en', ada);
    await page.waitForURL(`${siteUrl}/account`);
    await page.getByTestId('live-profile').getByText(ada.id).waitFor();
    await shots.take(page, 'account');
    const authorize = documents.filter((entry) => entry.includes('/oauth2/authorize'));
    assert.ok(authorize.length >= 1 && authorize.every((entry) => /^30[23] /.test(entry)), `no consent page was shown: ${authorize.join(', ')}`);
    assert.ok(!documents.some((entry) => entry.includes('/auth/pending')), 'no binding page');
    assert.match(documents.find((entry) => entry.includes('/auth/grantry/callback'))!, /^303 /, 'the callback signs the returning visitor straight in (303)');
    assert.deepEqual(problemsOf(page), [], `no script error or CSP refusal on the pages: ${problemsOf(page).join('; ')}`);
  });

  test('4. a second visitor, on a phone (360 px wide), binds Grantry to the account they already had on the demo site', async () => {
    const shots = shotsFor('4-existing-account-360px');
    await demoSite();
    const bob = await provider.createUser('bob', 'bob password 1', { displayName: 'Bob Grantry' });
    const page = await visitor('en', { width: 360, height: 740 });
    await page.goto(`${siteUrl}/`);
    const register = page.getByRole('form', { name: 'Create an account' });
    await register.getByLabel('Username').fill('bob-site');
    await register.getByLabel('Display name').fill('Bob of the site');
    await register.getByLabel('Password').fill('bob site password');
    await register.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${siteUrl}/account`);
    await page.getByText('None yet.').waitFor();
    await shots.take(page, 'local-account');
    await page.getByRole('button', { name: 'Log out' }).click();

    await page.getByRole('button', { name: 'Log in with Grantry' }).click();
    await logInAtProvider(page, 'en', bob);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${siteUrl}/auth/pending`);
    const bind = page.getByRole('form', { name: 'Bind to an account I have' });
    await bind.getByLabel('Username').fill('bob-site');
    await bind.getByLabel('Password').fill('bob site password');
    await shots.take(page, 'binding');
    await bind.getByRole('button', { name: 'Log in and bind' }).click();

    await page.waitForURL(`${siteUrl}/account`);
    await page.getByRole('heading', { name: 'Bob of the site' }).waitFor();
    await page.getByTestId('live-profile').locator('[data-field="username"]').getByText('bob').waitFor();
    await shots.take(page, 'bound');
    const local = (await siteStore.findConnectUserByUsername('bob-site'))!;
    assert.equal((await siteStore.findIdentityBySubject('grantry', bob.id))!.userId, local.id, "Bob's Grantry identity is bound to the site account he already had");
    assert.deepEqual(problemsOf(page), [], `no script error or CSP refusal on the pages: ${problemsOf(page).join('; ')}`);
  });

  test('5. the user revokes the demo site on Grantry\'s connected-apps page; the site\'s next call fails and asks them to log in again', async () => {
    assert.ok(adaPage, 'journey 2 signed Ada in');
    const page = adaPage;
    const shots = shotsFor('5-revoked');
    await page.goto(`${provider.url}/account/apps`);
    await page.getByText('Demo site').first().waitFor();
    await shots.take(page, 'connected-apps');
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Access revoked. That app can no longer use your account.').waitFor();
    await shots.take(page, 'revoked');

    const response = await page.goto(`${siteUrl}/account`);
    assert.equal(response!.status(), 401, 'the account page answers 401 once the site is revoked');
    await page.getByRole('heading', { name: 'Please log in again', level: 1 }).waitFor();
    assert.equal(await page.getByRole('alert').textContent(), t('en', 'demo.relogin.body', { provider: 'Grantry' }), 'the alert asks to log in again with Grantry');
    await shots.take(page, 'please-log-in-again');
    const identity = (await siteStore.findIdentityBySubject('grantry', ada.id))!;
    assert.equal(identity.sealedTokens, null, 'the refused token is forgotten');
    assert.equal(new URL((await page.goto(`${siteUrl}/account`))!.url()).pathname, '/', 'and the visitor logged out');

    // Logging in again asks for consent again (the revocation forgot it), then the site works again.
    await page.getByRole('button', { name: 'Log in with Grantry' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${siteUrl}/account`);
    await page.getByTestId('live-profile').getByText(ada.id).waitFor();
    await shots.take(page, 'back-in');
    assert.deepEqual(problemsOf(page), [], `no script error or CSP refusal on the pages: ${problemsOf(page).join('; ')}`);
  });

  test('6. a browser-only page gets a token by the implicit flow (its app opted in) and reads /api/me', async () => {
    const shots = shotsFor('6-implicit');
    await demoSite();
    const carol = await provider.createUser('carol', 'carol password 1', { displayName: 'Carol Implicit' });
    const page = await visitor();
    const authorizeRequests: URL[] = [];
    page.on('request', (request) => request.url().startsWith(`${provider.url}/oauth2/authorize`) && authorizeRequests.push(new URL(request.url())));
    await page.goto(`${siteUrl}/implicit`);
    await shots.take(page, 'start');
    await page.getByRole('button', { name: 'Log in with Grantry' }).click();
    await logInAtProvider(page, 'en', carol);
    await page.getByRole('heading', { name: 'Allow Browser-only demo to use your account?' }).waitFor();
    await shots.take(page, 'consent');
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.waitForURL((url) => url.href.startsWith(`${siteUrl}/implicit`));
    await page.locator('#me').filter({ hasText: carol.id }).waitFor();
    const me = JSON.parse((await page.locator('#me').textContent())!);
    assert.deepEqual(me, { uid: carol.id, username: 'carol', display_name: 'Carol Implicit', email: 'carol@example.com' }, "the implicit token reads Carol's profile at /api/me");
    assert.match((await page.getByRole('status').textContent())!, /^Token received from Grantry; valid for \d+ s\.$/, 'the page says a token was received and for how long it is valid');
    assert.equal(page.url(), `${siteUrl}/implicit`, 'the token is cleared from the address bar');
    assert.equal(authorizeRequests[0]!.searchParams.get('response_type'), 'token', 'the browser-only page asks for a token (response_type=token)');
    await shots.take(page, 'profile');
    assert.deepEqual(problemsOf(page), [], `no script error or CSP refusal on the pages: ${problemsOf(page).join('; ')}`);
  });

  test('7. denying consent returns to the demo site with a clear message', async () => {
    const shots = shotsFor('7-denied');
    await demoSite();
    const dave = await provider.createUser('dave', 'dave password 1', { displayName: 'Dave Declines' });
    const page = await visitor();
    // By keyboard alone, each control showing where the focus is.
    await page.goto(`${siteUrl}/`);
    await tabTo(page, 'Log in with Grantry');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.href.startsWith(`${provider.url}/login`));
    await tabTo(page, 'Username');
    await page.keyboard.type(dave.username);
    await tabTo(page, 'Password');
    await page.keyboard.type(dave.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Allow Demo site to use your account?' }).waitFor();
    await tabTo(page, 'Deny');
    await shots.take(page, 'consent-deny-focused');
    await page.keyboard.press('Enter');

    await page.waitForURL((url) => url.href.startsWith(`${siteUrl}/auth/grantry/callback`));
    assert.equal(new URL(page.url()).searchParams.get('error'), 'access_denied', 'denying consent returns to the callback with access_denied');
    await page.getByRole('heading', { name: 'Logging in did not work', level: 1 }).waitFor();
    assert.equal(await page.getByRole('alert').textContent(), t('en', 'demo.error.access_denied'), 'the alert says consent was denied');
    await page.getByRole('link', { name: 'Back to the home page' }).waitFor();
    await shots.take(page, 'message');
    assert.equal(await siteStore.findIdentityBySubject('grantry', dave.id), undefined, 'nothing was shared');
    assert.equal(new URL((await page.goto(`${siteUrl}/account`))!.url()).pathname, '/', 'denying consent signs nobody in: the account page sends the visitor home');
    assert.deepEqual(problemsOf(page), [], `no script error or CSP refusal on the pages: ${problemsOf(page).join('; ')}`);
  });

  test('every page the journeys saw has no serious or critical accessibility finding (axe-core, WCAG 2.1 A and AA)', () => {
    const shot = allShots.reduce((sum, shots) => sum + shots.count, 0);
    assert.ok(shot >= 25, `the journeys shot ${shot} pages`);
    assert.deepEqual(allShots.flatMap((shots) => shots.accessibility), [], 'no page the journeys saw has a serious or critical accessibility finding');
  });

  test('no page the journeys saw is wider than its window (journey 4 runs 360 px wide)', () => {
    assert.deepEqual(allShots.flatMap((shots) => shots.overflowing), [], 'no page the journeys saw is wider than its window');
  });
});
