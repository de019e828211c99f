import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { en } from '../../src/i18n/en.ts';
import { zhCN } from '../../src/i18n/zh-CN.ts';
import { assetPaths, script, stylesheet } from '../../src/provider/pages/assets.ts';
import { TestBrowser, csrfFrom } from '../helpers/browser.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { registerThroughForm, rotateThroughForm } from '../helpers/console.ts';
import { signIn } from '../helpers/session.ts';
import { storeKinds } from '../helpers/stores.ts';

// The provider's pages in English and Simplified Chinese: how the language is chosen, the switcher,
// every page in zh-CN without an English catalogue message left in it, the consent page's contents,
// the console's features, and the served stylesheet and script under the CSP.

const callback = 'https://photos.example:8443/oauth/callback';

/** What a person reads: text nodes plus the attributes a browser shows or speaks. */
function visibleText(page: string): string {
  const attributes = [...page.matchAll(/\s(?:aria-label|placeholder|title|alt|data-message|data-copied|data-copy-failed|data-label)="([^"]*)"/g)].map((m) => m[1]);
  const text = page
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ');
  return [text, ...attributes]
    .join(' \n ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** English catalogue messages (or their longer fixed parts) that differ from the Chinese ones and appear on the page. */
function englishLeaks(page: string): string[] {
  const text = visibleText(page);
  const leaks: string[] = [];
  for (const key of Object.keys(en) as (keyof typeof en)[]) {
    if (key.startsWith('demo.')) continue;
    const english = en[key];
    if (english === zhCN[key]) continue;
    for (const part of english.split(/\{\w+\}/)) {
      const fixed = part.trim();
      // Short fragments ("App", "Type") also occur inside names and codes; five letters or more is a sentence's worth.
      if (fixed.replace(/[^A-Za-z]/g, '').length >= 5 && text.includes(fixed)) leaks.push(`${key}: ${fixed}`);
    }
  }
  return leaks;
}

for (const kind of storeKinds) {
  describe(`pages in two languages on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind, { scopes: { 'photos:read': 'Read your photo albums' } })));
    after(() => provider.close());

    test('Accept-Language picks the language; without it, English', async () => {
      const browser = new TestBrowser(provider.url);
      const english = await browser.get('/login');
      assert.match(english.text, /^<!doctype html><html lang="en">/, 'without Accept-Language the page is in English');
      assert.match(english.text, /<label for="username">Username<\/label>/, 'the English login page labels the username field in English');
      const chinese = await browser.get('/login', { 'accept-language': 'en;q=0.5, zh-CN;q=0.9' });
      assert.match(chinese.text, /^<!doctype html><html lang="zh-CN">/, 'an Accept-Language preferring zh-CN gives the page in Chinese');
      assert.match(chinese.text, /<label for="username">用户名<\/label>/, 'the Chinese login page labels the username field in Chinese');
      assert.match(chinese.text, /<button type="submit" class="primary">登录<\/button>/, 'the Chinese login page has its button in Chinese');
      const french = await browser.get('/login', { 'accept-language': 'fr-FR' });
      assert.match(french.text, /<html lang="en">/, 'a language the provider does not have (fr-FR) falls back to English');
    });

    test('an authorization request\'s ui_locales sets the language of its login and consent pages; the person\'s own choice still wins', async () => {
      const { client } = await provider.registerClient({ appType: 'web', name: 'Lingua', redirectUris: [callback] });
      const request = { response_type: 'code', client_id: client.id, redirect_uri: callback, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ui_locales: 'fr zh-CN en' };
      const browser = new TestBrowser(provider.url);
      const started = await browser.get(`/oauth2/authorize?${new URLSearchParams(request)}`, { 'accept-language': 'en' });
      const login = await browser.get(started.location!, { 'accept-language': 'en' });
      assert.match(login.text, /^<!doctype html><html lang="zh-CN">/, 'the login page of the request is in Chinese, the first of its ui_locales Grantry speaks');
      const person = await provider.createUser();
      const loggedIn = await browser.post('/login', { username: person.username, password: person.password, csrf_token: csrfFrom(login.text), return_to: new URL(started.location!, provider.url).searchParams.get('return_to')! });
      const consent = await browser.get(loggedIn.location!, { 'accept-language': 'en' });
      assert.equal(consent.status, 200, 'after login the request asks for consent');
      assert.match(consent.text, /^<!doctype html><html lang="zh-CN">/, 'and its consent page is in Chinese too');
      assert.match(consent.text, />同意授权</, 'with the Allow button in Chinese');
      const elsewhere = await browser.get('/login', { 'accept-language': 'en' });
      assert.match(elsewhere.text, /<html lang="en">/, 'a login page that is not on the way of that request keeps to Accept-Language');

      browser.cookies.set('grantry_lang', 'en');
      const chosen = await browser.get(`/oauth2/authorize?${new URLSearchParams({ ...request, prompt: 'consent' })}`);
      assert.match(chosen.text, /<html lang="en">/, "the person's own choice of language wins over the app's ui_locales");
      const malformed = await browser.get(`/oauth2/authorize?${new URLSearchParams({ ...request, ui_locales: 'zh_CN;q=1' })}`);
      assert.equal(new URL(malformed.location!).searchParams.get('error'), 'invalid_request', 'malformed ui_locales are an invalid_request for the app');
    });

    test('the switcher sets a cookie that wins over Accept-Language, and comes back to the page', async () => {
      const browser = new TestBrowser(provider.url);
      const page = await browser.get('/signup?return_to=%2Fconsole');
      const link = /<a href="([^"]+)" lang="zh-CN" hreflang="zh-CN" data-testid="lang-zh-CN">简体中文<\/a>/.exec(page.text)?.[1];
      assert.equal(
        link,
        '/lang?to=zh-CN&amp;return_to=%2Fsignup%3Freturn_to%3D%252Fconsole',
        'the switcher links to /lang with the way back to the current page',
      );
      assert.match(page.text, /<span aria-current="true" lang="en">English<\/span>/, 'the switcher marks English as the current language');

      const switched = await browser.get(link!.replace(/&amp;/g, '&'));
      assert.equal(switched.status, 303, 'switching the language redirects with 303');
      assert.equal(switched.location, '/signup?return_to=%2Fconsole', 'switching the language comes back to the page it was asked from');
      const cookie = switched.headers.getSetCookie().find((c) => c.startsWith('grantry_lang='))!;
      assert.match(
        cookie,
        /^grantry_lang=zh-CN; Max-Age=31536000; Path=\/; HttpOnly; SameSite=Lax$/,
        'the switcher sets a year-long, HttpOnly, SameSite=Lax language cookie',
      );

      const after = await browser.get('/signup', { 'accept-language': 'en' });
      assert.match(after.text, /<html lang="zh-CN">/, 'the language cookie wins over Accept-Language');
      assert.match(after.text, /<h1>注册账号<\/h1>/, 'the signup page heading is in Chinese');
      assert.match(after.text, /<button type="submit" class="primary">注册<\/button>/, 'the signup button is in Chinese');

      const back = await browser.get('/lang?to=en&return_to=%2Flogin', { 'accept-language': 'zh-CN' });
      assert.equal(back.location, '/login', 'switching back to English comes back to /login');
      assert.match(
        (await browser.get('/login', { 'accept-language': 'zh-CN' })).text,
        /<html lang="en">/,
        'the English cookie wins over a zh-CN Accept-Language',
      );
    });

    test('the switcher returns only to a path on this site and ignores unknown languages', async () => {
      const browser = new TestBrowser(provider.url);
      for (const target of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '']) {
        const response = await browser.get(`/lang?to=zh-CN&return_to=${encodeURIComponent(target)}`);
        assert.equal(response.status, 303, target);
        assert.equal(response.location, '/', target);
      }
      const unknown = new TestBrowser(provider.url);
      const response = await unknown.get('/lang?to=fr&return_to=%2Flogin');
      assert.equal(response.location, '/login', 'an unknown language still comes back to the page');
      assert.equal(response.headers.getSetCookie().length, 0, 'an unknown language sets no cookie');
      // An unknown value in the cookie itself falls back to Accept-Language.
      unknown.cookies.set('grantry_lang', 'klingon');
      assert.match(
        (await unknown.get('/login', { 'accept-language': 'zh' })).text,
        /<html lang="zh-CN">/,
        'an unknown language in the cookie falls back to Accept-Language',
      );
    });

    test('every page renders in zh-CN with no English catalogue message left', async () => {
      const zh = { 'accept-language': 'zh-CN', accept: 'text/html' };
      const owner = await provider.createUser('owner1', 'correct horse battery staple', { displayName: '开发者' });
      const browser = new TestBrowser(provider.url);
      browser.cookies.set('grantry_lang', 'zh-CN');
      const pages: [string, string][] = [];
      const visit = async (path: string, status = 200) => {
        const response = await browser.get(path, zh);
        assert.equal(response.status, status, path);
        pages.push([path, response.text]);
        return response;
      };
      await visit('/');
      await visit('/login');
      await visit('/signup');
      const loginPage = await browser.get('/login');
      const failed = await browser.post('/login', { username: 'owner1', password: 'wrong password', csrf_token: csrfFrom(loginPage.text) });
      assert.equal(failed.status, 401, 'a wrong password is refused with 401');
      assert.match(failed.text, /用户名或密码错误。/, 'the wrong-password message is in Chinese');
      pages.push(['POST /login', failed.text]);
      const signupFail = await browser.post('/signup', { username: 'x', password: 'p', password_confirmation: 'p', csrf_token: csrfFrom(loginPage.text) });
      assert.equal(signupFail.status, 400, 'a refused signup answers 400');
      pages.push(['POST /signup', signupFail.text]);
      const refused = await browser.post('/logout', { csrf_token: 'forged' });
      assert.equal(refused.status, 403, 'a logout with a forged CSRF token is refused with 403');
      pages.push(['POST /logout forged', refused.text]);
      await visit('/nowhere', 404);
      await visit('/oauth2/authorize?response_type=code&client_id=nobody', 400);

      await signIn(provider, browser, owner);
      await visit('/');
      await visit('/console');
      await visit('/console/apps/new');
      const form = await browser.get('/console/apps/new');
      const registered = await registerThroughForm(browser, { name: 'Photos', app_type: 'web', redirect_uris: callback, description: 'Prints photos' });
      assert.equal(registered.status, 200, "an accepted registration leads to the app's page, which shows the secret once");
      pages.push(['the app page after registering', registered.text]);
      const appKey = /data-testid="app-key">([^<]+)</.exec(registered.text)![1]!;
      const badNew = await browser.post('/console/apps/new', { csrf_token: csrfFrom(form.text), name: 'X', app_type: 'web', redirect_uris: 'http://x.example/cb' });
      assert.equal(badNew.status, 400, 'a registration with an http callback URL is refused with 400');
      pages.push(['POST /console/apps/new (refused)', badNew.text]);
      await visit('/console');
      const appPage = await visit(`/console/apps/${appKey}`);
      const bad = await browser.post(`/console/apps/${appKey}/advanced`, {
        csrf_token: csrfFrom(appPage.text), redirect_uris: 'https://ok.example/cb#frag', scopes: 'profile', token_format: 'jwt',
      });
      assert.equal(bad.status, 400, 'a callback URL with a fragment is refused with 400');
      pages.push(['POST advanced (refused)', bad.text]);
      const rotated = await rotateThroughForm(browser, appKey, csrfFrom(appPage.text));
      assert.equal(rotated.status, 200, "a rotation leads to the app's page, which shows the new secret once");
      pages.push(['the app page after rotating the secret', rotated.text]);
      await visit(`/console/apps/${appKey}?saved=1`);
      const { client: spa } = await provider.registerClient({ appType: 'spa', name: 'SPA', ownerId: owner.id, redirectUris: ['http://127.0.0.1:5173/cb'] });
      await visit(`/console/apps/${spa.id}`);
      const { client: service } = await provider.registerClient({ appType: 'service', name: 'Svc', ownerId: owner.id });
      await visit(`/console/apps/${service.id}`);
      await visit('/console/apps/0123456789abcdef0123456789abcdef', 404);

      const consent = await visit(
        `/oauth2/authorize?response_type=code&client_id=${appKey}&redirect_uri=${encodeURIComponent(callback)}&scope=profile%20email&state=s&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`,
      );
      assert.match(
        consent.text,
        /<button type="submit" name="decision" value="allow" class="primary">同意授权<\/button>/,
        'the consent page has its Allow button in Chinese',
      );
      const mismatch = await visit(`/oauth2/authorize?response_type=code&client_id=${appKey}&redirect_uri=https%3A%2F%2Fevil.example%2F`, 400);
      assert.match(mismatch.text, /回调地址（redirect_uri）不是该应用注册过的地址。/, 'the redirect_uri mismatch page explains it in Chinese');

      await visit('/account/apps');
      await provider.store.grants.create({ id: randomUUID(), clientId: appKey, userId: owner.id, scope: 'profile email', createdAt: 1_767_225_600 });
      await visit('/account/apps');
      await visit('/account/apps?revoked=1');

      for (const [path, page] of pages) {
        assert.match(page, /<html lang="zh-CN">/, path);
        assert.deepEqual(englishLeaks(page), [], path);
      }
    });

    test('the leak check finds English when there is some', async () => {
      const page = await new TestBrowser(provider.url).get('/login');
      assert.ok(
        englishLeaks(page.text).includes('field.password: Password'),
        'the leak check finds the English password label on the English login page',
      );
    });

    test('the consent page shows the app, its type explained, who registered it, each scope and where the person goes', async () => {
      const owner = await provider.createUser('studio', 'correct horse battery staple', { displayName: 'Photo Studio' });
      const { client } = await provider.registerClient({
        appType: 'web', name: 'Album Printer', ownerId: owner.id, redirectUris: [callback], scopes: ['profile', 'email', 'photos:read'],
        homepage: 'https://photos.example',
      });
      const person = await provider.createUser();
      const request = `/oauth2/authorize?response_type=code&client_id=${client.id}&redirect_uri=${encodeURIComponent(callback)}&scope=profile%20photos:read&state=s&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
      for (const [lang, words] of [
        ['en', { title: 'Allow Album Printer to use your account?', type: 'Web app with a server', explained: 'A website whose server keeps its own secret.', profile: 'See your user id, username, display name and the profile details on record', allow: 'Allow', deny: 'Deny', owner: 'a user of this site, @studio' }],
        ['zh-CN', { title: '是否授权 Album Printer 使用你的账号？', type: '网页应用（有服务器）', explained: '一个由自己的服务器保管密钥的网站。', profile: '查看你的用户 ID、用户名、显示名称和已记录的个人资料', allow: '同意授权', deny: '拒绝', owner: '本站用户 @studio' }],
      ] as const) {
        const browser = new TestBrowser(provider.url);
        await signIn(provider, browser, person);
        const page = await browser.get(request, { 'accept-language': lang });
        assert.equal(page.status, 200, `the consent page answers 200 in ${lang}`);
        assert.match(page.text, new RegExp(`<html lang="${lang}">`), `the consent page is marked as ${lang}`);
        assert.ok(page.text.includes(`<h1>${words.title}</h1>`), lang);
        assert.ok(page.text.includes(`data-testid="consent-app">Album Printer</h2>`), `the consent page names the app in ${lang}`);
        assert.ok(page.text.includes(`data-testid="consent-type"><strong>${words.type}</strong><br><span class="muted">${words.explained}</span>`), lang);
        assert.ok(page.text.includes(`data-testid="consent-owner">${words.owner}</dd>`), `the consent page names who registered the app, by username not display name, in ${lang}`);
        assert.ok(page.text.includes(`<li data-scope="profile">${words.profile} <span class="muted">(<code>profile</code>)</span></li>`), lang);
        // The operator's own scope keeps the operator's words in every language.
        assert.ok(
          page.text.includes('<li data-scope="photos:read">Read your photo albums <span class="muted">(<code>photos:read</code>)</span></li>'),
          `the operator's own scope keeps the operator's words in ${lang}`,
        );
        assert.doesNotMatch(page.text, /data-scope="email"/, `a scope that was not asked for is not listed in ${lang}`);
        assert.ok(
          page.text.includes('data-testid="consent-destination">https://photos.example:8443</p>'),
          `the consent page shows where the person goes in ${lang}`,
        );
        assert.ok(page.text.includes(`value="allow" class="primary">${words.allow}</button>`), `the Allow button is worded in ${lang}`);
        assert.ok(page.text.includes(`value="deny">${words.deny}</button>`), `the Deny button is worded in ${lang}`);
      }
      // An app registered from the command line has no owner: the operator registered it.
      const { client: operatorApp } = await provider.registerClient({ appType: 'native', name: 'Desk', redirectUris: ['com.example.desk:/cb'] });
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, person);
      const page = await browser.get(`/oauth2/authorize?response_type=code&client_id=${operatorApp.id}&redirect_uri=${encodeURIComponent('com.example.desk:/cb')}&state=s&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
      assert.equal(page.status, 200, 'the consent page for an app without an owner answers 200');
      assert.ok(
        page.text.includes('data-testid="consent-owner"><strong class="operator-badge" data-testid="consent-operator">the operator of this site</strong></dd>'),
        'an app without an owner is shown as registered by the operator',
      );
      assert.ok(page.text.includes('<strong>Mobile or desktop app</strong>'), 'the native app type is named on the consent page');
      assert.ok(
        page.text.includes('data-testid="consent-destination">com.example.desk:</p>'),
        'the destination of a native app is its custom scheme',
      );
    });

    test('OAuth error_description stays ASCII English whatever the language', async () => {
      const { client } = await provider.registerClient({ appType: 'web', redirectUris: [callback] });
      const browser = new TestBrowser(provider.url);
      browser.cookies.set('grantry_lang', 'zh-CN');
      const response = await browser.get(`/oauth2/authorize?response_type=code&client_id=${client.id}&redirect_uri=${encodeURIComponent(callback)}&scope=nope&state=s`, { 'accept-language': 'zh-CN' });
      assert.equal(response.status, 302, 'an unknown scope is sent back to the callback with 302');
      const description = new URL(response.location!).searchParams.get('error_description')!;
      assert.match(description, /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/, 'error_description uses only the characters RFC 6749 allows there');
      assert.match(description, /scope/, 'error_description names the scope, in English');
    });

    test('console: usage figures, grants with their warnings, the audit link, the copy-once secret dialog', async () => {
      const owner = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, owner);
      const { client: service, clientSecret } = await provider.registerClient({ appType: 'service', ownerId: owner.id });
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${provider.url}/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_id: service.id, client_secret: clientSecret! }),
        });
        assert.equal(response.status, 200, 'the service app gets a token with its secret');
      }
      await provider.ctx.audit.flush();
      const page = await browser.get(`/console/apps/${service.id}`);
      assert.match(
        page.text,
        /<span class="figure" data-testid="usage-tokens">3<\/span>tokens issued in the last 24 hours/,
        'the console counts the 3 tokens issued in the last 24 hours',
      );
      assert.match(
        page.text,
        /<span class="figure" data-testid="usage-users">0<\/span>people have allowed it/,
        'the console counts 0 people who allowed the service app',
      );
      assert.ok(
        page.text.includes(`<a href="/console/apps/${service.id}/audit" data-testid="audit-link">Audit log of this app</a>`),
        "the app's page links to its audit log",
      );
      assert.match(
        page.text,
        /<li>Client credentials <span class="muted">\(<code>client_credentials<\/code>\)<\/span><\/li>/,
        'the client credentials grant is listed',
      );
      assert.match(
        page.text,
        /Password<\/strong> <span class="muted">\(<code>password<\/code>\)<\/span>:\noff \(only an operator can turn it on/,
        'the password grant shows as off, turned on only by an operator',
      );
      assert.match(
        page.text,
        /<strong>Not recommended\.<\/strong> With the password grant people type their password into the app itself/,
        'the password grant carries its warning',
      );
      assert.doesNotMatch(page.text, /name="implicit"/, 'a service app is not offered the implicit grant');
      assert.doesNotMatch(page.text, /name="redirect_uris"/, 'a service app has no callback URLs field');

      const { client: trusted } = await provider.registerClient({ appType: 'web', ownerId: owner.id, trusted: true, grantTypes: ['authorization_code', 'password', 'refresh_token'], redirectUris: [callback] });
      const trustedPage = await browser.get(`/console/apps/${trusted.id}`);
      assert.match(
        trustedPage.text,
        /<code>password<\/code>\)<\/span>:\non \(set by an operator\)/,
        'a trusted app shows the password grant as on, set by an operator',
      );

      const { client: spa } = await provider.registerClient({ appType: 'spa', ownerId: owner.id, redirectUris: ['http://localhost:5173/cb'] });
      const spaPage = await browser.get(`/console/apps/${spa.id}`);
      assert.match(
        spaPage.text,
        /<input type="checkbox" name="implicit" id="implicit" value="1" aria-describedby="implicit-warning">/,
        'a browser app has the implicit box, tied to its warning',
      );
      assert.match(
        spaPage.text,
        /id="implicit-warning"><p><strong>Not recommended\.<\/strong> With the implicit grant/,
        'the implicit grant carries its warning',
      );
      assert.match(
        spaPage.text,
        /data-testid="app-secret-status"><span class="muted">none: a public app cannot keep one/,
        'a browser app is said to have no secret, being public',
      );
      assert.doesNotMatch(spaPage.text, />Rotate secret</, 'a browser app is not offered to rotate a secret');

      // Rotation: the secret in an open dialog that closes without script; copy buttons wait for the script.
      const rotated = await rotateThroughForm(browser, service.id, csrfFrom(page.text));
      assert.equal(rotated.status, 200, "rotating the secret leads to the app's page");
      assert.match(
        rotated.text,
        /<dialog open class="secret" aria-labelledby="secret-title" data-testid="secret-dialog">/,
        'the new secret is shown in an open dialog',
      );
      assert.match(
        rotated.text,
        /<code class="secret-value" id="app-secret" data-testid="app-secret">[A-Za-z0-9_-]{43}<\/code>/,
        'the dialog shows the new 43-character secret',
      );
      assert.match(
        rotated.text,
        /<button type="button" data-copy="app-secret" data-copied="Copied\." data-copy-failed="[^"]+" hidden>Copy App Secret<\/button>/,
        'the copy button for the secret is hidden until the script shows it',
      );
      assert.match(
        rotated.text,
        /<form method="dialog"><button type="submit" class="primary">I have stored it<\/button><\/form>/,
        'the dialog closes without script',
      );
      assert.match(
        rotated.text,
        /<button type="button" data-copy="app-key"[^>]* hidden>Copy App Key<\/button>/,
        'the copy button for the App Key is hidden until the script shows it',
      );
      // The switcher on the page a form led to goes back to the app's page, without the one-time notice.
      assert.ok(
        rotated.text.includes(`return_to=${encodeURIComponent(`/console/apps/${service.id}`)}"`),
        "the switcher goes back to the app's page, without ?rotated=1",
      );
    });

    test('callback URLs: the refusal is next to the field, which is marked invalid', async () => {
      const owner = await provider.createUser();
      const browser = new TestBrowser(provider.url);
      await signIn(provider, browser, owner);
      const { client } = await provider.registerClient({ appType: 'web', ownerId: owner.id, redirectUris: [callback] });
      const page = await browser.get(`/console/apps/${client.id}`);
      assert.match(
        page.text,
        /<textarea id="redirect_uris" name="redirect_uris" rows="3" [^>]*aria-describedby="redirect_uris-hint">/,
        'the callback URLs field is described by its hint',
      );
      assert.match(
        page.text,
        /id="redirect_uris-live" aria-live="polite" data-message="This does not look like an allowed callback URL: \{uri\}"/,
        'the callback URLs field has a live region with the message for a wrong URL',
      );
      const refused = await browser.post(`/console/apps/${client.id}/advanced`, {
        csrf_token: csrfFrom(page.text), redirect_uris: `${callback}\nhttp://evil.example/cb`, scopes: 'profile', token_format: 'jwt',
      });
      assert.equal(refused.status, 400, 'an http callback URL is refused with 400');
      assert.match(
        refused.text,
        /aria-describedby="redirect_uris-hint redirect_uris-error" aria-invalid="true">/,
        'the refused field is marked invalid and described by its error',
      );
      assert.match(
        refused.text,
        /<p class="field-error" id="redirect_uris-error" data-testid="redirect_uris-error">“http:\/\/evil\.example\/cb” uses http\. Use https, or http only on localhost, 127\.0\.0\.1 or \[::1\]\.<\/p>/,
        'the refusal next to the field says why the URL is refused',
      );
      assert.deepEqual((await provider.store.clients.find(client.id))!.redirectUris, [callback], 'a refused callback URL changes nothing');
    });

    test('one stylesheet and one script, served by Grantry with a long cache, under a CSP without inline code', async () => {
      const browser = new TestBrowser(provider.url);
      const page = await browser.get('/login');
      const csp = page.headers.get('content-security-policy')!;
      assert.match(csp, /style-src 'self'/, 'the CSP allows stylesheets from the site itself');
      assert.match(csp, /script-src 'self'/, 'the CSP allows scripts from the site itself');
      assert.match(csp, /frame-ancestors 'none'/, 'the CSP forbids framing');
      assert.doesNotMatch(csp, /unsafe-inline/, 'the CSP allows no inline code');
      assert.doesNotMatch(page.text, /<style|style="|<script>| on[a-z]+="/, 'the page has no inline style, script or event handler');
      assert.ok(page.text.includes(`<link rel="stylesheet" href="${assetPaths.css}">`), 'the page links the served stylesheet');
      assert.ok(page.text.includes(`<script src="${assetPaths.js}" defer></script>`), 'the page loads the served script, deferred');
      assert.match(assetPaths.css, /^\/assets\/grantry\.css\?v=[0-9a-f]{12}$/, 'the stylesheet path carries a 12-digit hash of its content');
      const css = await browser.get(assetPaths.css);
      assert.equal(css.status, 200, 'the stylesheet is served with 200');
      assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8', 'the stylesheet is served as CSS in UTF-8');
      assert.equal(css.headers.get('cache-control'), 'public, max-age=31536000, immutable', 'the stylesheet is cached for a year, immutable');
      assert.equal(css.text, stylesheet, 'the stylesheet served is the one in the source');
      const js = await browser.get(assetPaths.js);
      assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8', 'the script is served as JavaScript in UTF-8');
      assert.equal(js.text, script, 'the script served is the one in the source');
      assert.doesNotMatch(stylesheet, /@import|url\(/, 'the stylesheet loads nothing else (no @import, no url())');
    });

    test('an unknown path: a page for browsers, JSON for API clients', async () => {
      const browser = new TestBrowser(provider.url);
      const html = await browser.get('/no/such/page', { accept: 'text/html,application/xhtml+xml', 'accept-language': 'zh-CN' });
      assert.equal(html.status, 404, 'an unknown path answers 404');
      assert.match(html.headers.get('content-type')!, /^text\/html/, 'a browser gets an HTML page for an unknown path');
      assert.match(html.text, /<h1>页面不存在<\/h1>/, 'the not-found page is in the language asked for');
      const json = await browser.get('/no/such/page', { accept: 'application/json' });
      assert.equal(json.status, 404, 'an API client gets 404 for an unknown path');
      assert.equal(json.json().error, 'not_found', 'an API client gets a JSON not_found error');
    });
  });
}
