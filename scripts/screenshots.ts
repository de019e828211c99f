// The README's screenshots: the consent page and the developer console's app page, in English and
// Simplified Chinese, taken in headless Chromium from a provider started here with demo data over
// an in-memory store. Run: node --import tsx scripts/screenshots.ts  (or npm run screenshots)
//
// Chinese text needs a CJK font on the machine (Debian: apt-get install fonts-wqy-microhei, or
// fonts-noto-cjk); without one Chromium draws empty boxes, so the script refuses to run.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { makeConfig } from '../src/config/config.ts';
import { hashPassword } from '../src/provider/accounts/authenticate.ts';
import { createProviderContext } from '../src/provider/context.ts';
import { buildProviderServer } from '../src/provider/http/server.ts';
import { registerClient } from '../src/provider/protocol/clients.ts';
import { openStore } from '../src/store/index.ts';
import { t, type Locale } from '../src/i18n/index.ts';
import { launchChromium } from '../test/helpers/chromium.ts';

const outDir = join(process.cwd(), 'docs', 'screenshots');
const viewport = { width: 1000, height: 700 };
const siteUrl = 'http://localhost:4000';
const callback = `${siteUrl}/auth/grantry/callback`;
const person = { username: 'demo', password: 'demo password 1', displayName: 'Demo User', email: 'demo@example.com' };

function hasCjkFont(): boolean {
  try {
    return execFileSync('fc-list', [':lang=zh'], { encoding: 'utf8' }).trim().length > 0;
  } catch {
    return false;
  }
}

if (!hasCjkFont()) {
  console.error('No Chinese font found (fc-list :lang=zh is empty). Install one first, e.g. apt-get install -y fonts-wqy-microhei');
  process.exit(1);
}

const store = await openStore('sqlite::memory:');
const config = makeConfig({ secret: 'screenshots-secret-0123456789abcdef0123456789', port: 0 });
const ctx = await createProviderContext(config, store);
const app = await buildProviderServer(ctx);
const issuer = await app.listen({ port: 0, host: '127.0.0.1' });
Object.assign(ctx.config, { issuer });

const user = await store.users.create({ username: person.username, passwordHash: await hashPassword(ctx.config, person.password), displayName: person.displayName, email: person.email });
const { client, clientSecret } = await registerClient(store, ctx.config, {
  name: 'Grantry demo website',
  appType: 'web',
  description: 'The website that `npm start` runs beside the provider, logging its users in with Grantry.',
  homepage: siteUrl,
  redirectUris: [callback, `${siteUrl}/spa/callback`],
  ownerId: user.id,
});

let browser: Browser | undefined;
const taken: string[] = [];
try {
  browser = await launchChromium();
  mkdirSync(outDir, { recursive: true });
  const contexts: Record<'en' | 'zh-CN', BrowserContext> = {
    en: await browser.newContext({ locale: 'en-US', viewport }),
    'zh-CN': await browser.newContext({ locale: 'zh-CN', viewport }),
  };
  const authorize = new URL(`${issuer}/oauth2/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: client.id, redirect_uri: callback, scope: 'profile email', state: 'screenshot',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
  }).toString();

  // The consent page in both languages, before anyone allows (once allowed, it is not asked again).
  for (const [locale, context] of Object.entries(contexts) as Array<[Locale, BrowserContext]>) {
    const page = await context.newPage();
    await page.goto(`${issuer}/login`);
    await page.getByLabel(t(locale, 'field.username')).fill(person.username);
    await page.getByLabel(t(locale, 'field.password'), { exact: true }).fill(person.password);
    await page.getByRole('button', { name: t(locale, 'login.submit') }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
    await page.goto(authorize.href);
    await page.getByRole('button', { name: t(locale, 'consent.allow') }).waitFor();
    taken.push(await shoot(page, `consent-${locale}`, 900));
    await page.close();
  }

  // One allowed login and one token, so that the console's usage figures are not all zero.
  const page = await contexts.en.newPage();
  await page.route(`${callback}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'ok' }));
  await page.goto(authorize.href);
  await page.getByRole('button', { name: t('en', 'consent.allow') }).click();
  await page.waitForURL((url) => url.href.startsWith(callback));
  const code = new URL(page.url()).searchParams.get('code')!;
  await page.close();
  const token = await fetch(`${issuer}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.id}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callback, code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' }),
  });
  if (token.status !== 200) throw new Error(`the token request answered ${token.status}: ${await token.text()}`);

  for (const [locale, context] of Object.entries(contexts)) {
    const console_ = await context.newPage();
    await console_.goto(`${issuer}/console/apps/${client.id}`);
    await console_.getByTestId('app-key').waitFor();
    taken.push(await shoot(console_, `console-${locale}`, 800));
    await console_.close();
  }
} finally {
  await browser?.close();
  await app.close();
  await store.close();
}
for (const path of taken) console.log(`${path}  ${Math.round(statSync(path).size / 1024)} KB`);

/** The top of the page, down to its end or maxHeight, whichever comes first. */
async function shoot(page: import('playwright-core').Page, name: string, maxHeight: number): Promise<string> {
  const path = join(outDir, `${name}.png`);
  // Fonts first: a shot taken while the CJK fallback font loads shows the wrong glyphs.
  await page.evaluate(() => document.fonts.ready);
  const height = Math.min(maxHeight, await page.evaluate(() => document.documentElement.scrollHeight));
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width: viewport.width, height } });
  return path;
}
