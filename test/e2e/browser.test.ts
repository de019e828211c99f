import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { launchChromium } from '../helpers/chromium.ts';

// The README's "done when", in a real browser: a developer registers an app in /console, opens
// the authorize URL, logs in, allows, receives the code at the callback, exchanges it for a token
// response holding uid, and reads /api/me with the token.


function startCallbackServer(): Promise<{ server: Server; url: string; next: () => Promise<URL> }> {
  let waiting: ((url: URL) => void) | undefined;
  const server = createServer((request, response) => {
    const url = new URL(request.url!, 'http://127.0.0.1');
    response.writeHead(200, { 'content-type': 'text/plain' }).end('Callback received.');
    waiting?.(url);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}/callback`,
        next: () => new Promise((resolveNext) => (waiting = resolveNext)),
      }),
    ),
  );
}

describe('in a real browser', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(() => browser?.close());

  for (const kind of storeKinds) {
    describe(`on ${kind.name}`, () => {
      let provider: RunningProvider;
      before(async () => (provider = await startProvider(kind)));
      after(() => provider.close());

      test('register an app in the console, authorize it, exchange the code, read /api/me', async () => {
        const developer = await provider.createUser('developer', 'developer password', { displayName: 'Dev Eloper' });
        const callback = await startCallbackServer();
        const context = await browser.newContext();
        const page = await context.newPage();
        try {
          await page.goto(`${provider.url}/console`);
          await page.getByLabel('Username').fill(developer.username);
          await page.getByLabel('Password').fill(developer.password);
          await page.getByRole('button', { name: 'Log in' }).click();
          await page.getByRole('link', { name: 'Register an app' }).click();
          await page.getByLabel('Name').fill('My Weibo-style site');
          await page.getByLabel('Web app with a server').check();
          await page.getByLabel(/Redirect URIs/).fill(callback.url);
          await page.getByRole('button', { name: 'Register' }).click();
          const clientId = (await page.locator('#app-key').textContent())!.trim();
          const clientSecret = (await page.locator('#app-secret').textContent())!.trim();
          assert.match(clientId, /^[0-9a-f]{32}$/);
          assert.ok(clientSecret.length >= 43);

          const authorize = new URL(`${provider.url}/oauth2/authorize`);
          authorize.search = new URLSearchParams({
            response_type: 'code', client_id: clientId, redirect_uri: callback.url, scope: 'profile email', state: 'browser-state',
            code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
          }).toString();
          await page.goto(authorize.toString());
          await page.getByText('See your email address').waitFor();
          const arrived = callback.next();
          await page.getByRole('button', { name: 'Allow' }).click();
          const answer = await arrived;
          assert.equal(answer.searchParams.get('state'), 'browser-state');
          assert.equal(answer.searchParams.get('iss'), provider.url);

          const token = await (await fetch(`${provider.url}/oauth2/token`, {
            method: 'POST',
            headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'authorization_code', code: answer.searchParams.get('code')!, redirect_uri: callback.url,
              code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
            }),
          })).json();
          assert.equal(token.uid, developer.id);
          const me = await (await fetch(`${provider.url}/api/me`, { headers: { authorization: `Bearer ${token.access_token}` } })).json();
          assert.deepEqual(me, { uid: developer.id, username: 'developer', display_name: 'Dev Eloper', email: 'developer@example.com' });
        } finally {
          await context.close();
          callback.server.close();
        }
      });
    });
  }
});
