import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { t } from '../../src/i18n/index.ts';
import { basic } from '../helpers/basic.ts';
import { Shots } from '../helpers/browser-shots.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startDemoFor, type RunningDemo } from '../helpers/demo.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { sqliteKind } from '../helpers/stores.ts';

// In headless Chromium: prompt=select_account (continue as the person signed in; use another
// account), and logout — the demo site's logout ending the Grantry session too, and an app's
// RP-initiated logout without an id_token_hint, which Grantry asks the person about. One browser,
// one context per visitor, a provider and the demo site on loopback ports over a fresh SQLite store;
// each page is saved to test-artifacts/journeys/ and checked with axe.

// RFC 7636's example pair.
const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
// The app's own site is never reached: the browser's requests there are answered here.
const appOrigin = 'https://photos.example';
const callback = `${appOrigin}/cb`;
const loggedOutPage = `${appOrigin}/logged-out`;

describe('choosing an account and logging out, in a real browser (SQLite)', () => {
  let browser: Browser;
  let provider: RunningProvider;
  let demo: RunningDemo;
  let app: { clientId: string; clientSecret: string };
  const contexts: BrowserContext[] = [];
  const allShots: Shots[] = [];

  before(async () => {
    [browser, provider] = await Promise.all([launchChromium(), startProvider(sqliteKind)]);
    demo = await startDemoFor({ ...provider, issuer: provider.url });
    const registered = await provider.registerClient({ appType: 'web', name: 'Photo app', redirectUris: [callback], postLogoutRedirectUris: [loggedOutPage] });
    app = { clientId: registered.client.id, clientSecret: registered.clientSecret! };
  });
  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await demo?.site.close();
    await provider?.close();
    await browser?.close();
  });

  /** A visitor's own browser profile; the app's site answers with a plain page. */
  async function visitor(): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1000, height: 700 } });
    context.setDefaultTimeout(20_000);
    contexts.push(context);
    await context.route(`${appOrigin}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><html lang="en"><title>Photo app</title><main><h1>Back at the app</h1></main></html>' }));
    return context.newPage();
  }

  function shotsFor(journey: string): Shots {
    const shots = new Shots(journey);
    allShots.push(shots);
    return shots;
  }

  const authorizeUrl = (extra: Record<string, string> = {}) =>
    `${provider.url}/oauth2/authorize?${new URLSearchParams({
      response_type: 'code', client_id: app.clientId, redirect_uri: callback, scope: 'openid profile', state: 'photo-state', nonce: 'photo-nonce',
      code_challenge: challenge, code_challenge_method: 'S256', ...extra,
    })}`;

  /** Whom the app learns it is dealing with: the ID token's sub, for the code the browser brought back. */
  async function subjectOf(page: Page): Promise<string> {
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('state'), 'photo-state', `the browser is back at the app with its state: ${page.url()}`);
    const response = await fetch(`${provider.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: basic(app.clientId, app.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: url.searchParams.get('code')!, redirect_uri: callback, code_verifier: verifier }),
    });
    assert.equal(response.status, 200, 'the app exchanges the code');
    const claims = decodeJwt((await response.json()).id_token as string);
    assert.equal(claims.nonce, 'photo-nonce', "the ID token carries the app's nonce");
    return claims.sub!;
  }

  async function logIn(page: Page, person: { username: string; password: string }) {
    await page.getByLabel('Username').fill(person.username);
    await page.getByLabel('Password', { exact: true }).fill(person.password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  let ada: Awaited<ReturnType<RunningProvider['createUser']>>;
  let adaPage: Page;

  test('prompt=select_account with Ada signed in: "You are signed in as Ada Lovelace (@ada)"; "Continue as Ada Lovelace" goes on as her', async () => {
    const shots = shotsFor('select-account-continue');
    ada = await provider.createUser('ada', 'ada password 1', { displayName: 'Ada Lovelace' });
    adaPage = await visitor();
    const page = adaPage;
    await page.goto(`${provider.url}/login`);
    await logIn(page, ada);
    await page.waitForURL(`${provider.url}/console`);

    await page.goto(authorizeUrl({ prompt: 'select_account' }));
    await page.getByRole('heading', { name: 'Choose an account', level: 1 }).waitFor();
    assert.equal(await page.getByTestId('select-account-current').textContent(), 'You are signed in as Ada Lovelace (@ada).', 'the page says who is signed in, by name and username');
    assert.equal(await page.getByText('Photo app asks which account to use.').count(), 1, 'and which app asks');
    await shots.take(page, 'chooser');
    await page.getByRole('button', { name: 'Continue as Ada Lovelace' }).click();
    // Ada never allowed the app: the consent page comes next, for her.
    await page.getByRole('heading', { name: 'Allow Photo app to use your account?' }).waitFor();
    assert.equal(await page.getByText(t('en', 'consent.signedInAs', { name: 'Ada Lovelace', username: 'ada' })).count(), 1, 'the consent page is Ada\'s');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${callback}?`));
    assert.equal(await subjectOf(page), ada.id, 'the app is told it is Ada');

    // Allowed now: without prompt=select_account she would be answered at once; with it, asked again.
    await page.goto(authorizeUrl({ prompt: 'select_account' }));
    await page.getByRole('button', { name: 'Continue as Ada Lovelace' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${callback}?`));
    assert.equal(await subjectOf(page), ada.id, '"Continue as" answers the app for Ada at once, with no consent page');
  });

  test('"Use another account": the login page with nothing filled in (not even the app\'s login_hint); Bob signs in, and the app is told it is Bob', async () => {
    const shots = shotsFor('select-account-another');
    const bob = await provider.createUser('bob', 'bob password 1', { displayName: 'Bob Builder' });
    const page = adaPage;
    await page.goto(authorizeUrl({ prompt: 'select_account', login_hint: 'ada' }));
    await page.getByRole('heading', { name: 'Choose an account', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Use another account' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${provider.url}/login?`));
    await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
    assert.equal(await page.getByLabel('Username').inputValue(), '', 'the username is not filled in');
    await shots.take(page, 'login');
    await logIn(page, bob);
    await page.getByRole('heading', { name: 'Allow Photo app to use your account?' }).waitFor();
    assert.equal(await page.getByText(t('en', 'consent.signedInAs', { name: 'Bob Builder', username: 'bob' })).count(), 1, 'the consent page is Bob\'s: no chooser after his sign-in');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${callback}?`));
    assert.equal(await subjectOf(page), bob.id, 'the app is told it is Bob, who was chosen');
  });

  test("logging out of the demo site ends the Grantry session too: the browser passes Grantry's logout and comes home, and a following authorization request shows the login page", async () => {
    const shots = shotsFor('demo-logout');
    const cleo = await provider.createUser('cleo', 'cleo password 1', { displayName: 'Cleo' });
    const page = await visitor();
    const documents: string[] = [];
    page.on('response', (response) => response.request().resourceType() === 'document' && documents.push(`${response.status()} ${new URL(response.url()).origin}${new URL(response.url()).pathname}`));
    await page.goto(`${demo.siteUrl}/`);
    await page.getByRole('button', { name: 'Log in with Grantry' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${provider.url}/login`));
    await logIn(page, cleo);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${demo.siteUrl}/auth/pending`);
    const create = page.getByRole('form', { name: 'Create a new account' });
    await create.getByLabel('Username').fill('cleo-site');
    await create.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${demo.siteUrl}/account`);
    await shots.take(page, 'account');

    documents.length = 0;
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${demo.siteUrl}/`);
    await page.getByRole('button', { name: 'Log in with Grantry' }).waitFor();
    await shots.take(page, 'home');
    assert.deepEqual(
      documents,
      [`303 ${demo.siteUrl}/logout`, `303 ${provider.url}/oauth2/logout`, `200 ${demo.siteUrl}/`],
      "the demo's logout goes through Grantry's end_session_endpoint, which asks nothing (the ID token names the person signed in) and sends the browser home",
    );
    await page.goto(authorizeUrl());
    await page.waitForURL((url) => url.href.startsWith(`${provider.url}/login?`));
    await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
    assert.equal(await page.getByText(/You are signed in as/).count(), 0, 'a following authorization request shows the login page: nobody is signed in at Grantry');
  });

  test('an app\'s RP-initiated logout without an id_token_hint: Grantry asks; "Stay logged in" keeps the session, "Log out" ends it and sends the browser to the app\'s registered page with its state', async () => {
    const shots = shotsFor('rp-logout-question');
    const dora = await provider.createUser('dora', 'dora password 1', { displayName: 'Dora' });
    const page = await visitor();
    await page.goto(`${provider.url}/login`);
    await logIn(page, dora);
    await page.waitForURL(`${provider.url}/console`);
    const logoutUrl = `${provider.url}/oauth2/logout?${new URLSearchParams({ client_id: app.clientId, post_logout_redirect_uri: loggedOutPage, state: 'bye' })}`;

    await page.goto(logoutUrl);
    await page.getByRole('heading', { name: 'Log out?', level: 1 }).waitFor();
    assert.equal(await page.getByTestId('logout-question').textContent(), 'Photo app asks to log you out of Grantry.', 'Grantry asks, naming the app');
    await shots.take(page, 'question');
    await page.getByRole('link', { name: 'Stay logged in' }).click();
    await page.waitForURL(`${provider.url}/`);
    assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 1, '"Stay logged in" keeps Dora signed in');

    await page.goto(logoutUrl);
    await page.getByRole('main').getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((url) => url.href.startsWith(loggedOutPage));
    assert.equal(page.url(), `${loggedOutPage}?state=bye`, "Grantry sends the browser to the app's registered page, with its state");
    await page.goto(authorizeUrl());
    await page.waitForURL((url) => url.href.startsWith(`${provider.url}/login?`));
    assert.equal(await page.getByLabel('Username').inputValue(), '', 'the session has ended: the app\'s next request shows the login page');
  });

  test('every page shot has no serious or critical accessibility finding (axe-core, WCAG 2.1 A and AA) and fits its window', () => {
    const shot = allShots.reduce((sum, shots) => sum + shots.count, 0);
    assert.ok(shot >= 5, `the journeys shot ${shot} pages`);
    assert.deepEqual(allShots.flatMap((shots) => shots.accessibility), [], 'no page shot has a serious or critical accessibility finding');
    assert.deepEqual(allShots.flatMap((shots) => shots.overflowing), [], 'no page shot is wider than its window');
  });
});
