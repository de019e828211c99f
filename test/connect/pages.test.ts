import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorPage, pendingPage, weibo, type ConnectOptions, type ErrorPageInput, type PendingPageInput } from '../../src/connect/index.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { storeKinds } from '../helpers/stores.ts';
import type { Double } from './doubles/server.ts';
import { startWeibo, weiboClient } from './doubles/weibo.ts';
import { loginWith, startSite, TestBrowser, type TestSite } from './helpers.ts';

// Connect's own pages (the binding page and the error page), as a site that has not written its own
// shows them to visitors: a title that fits the situation, a stylesheet Connect serves itself (so a
// `style-src 'self'` policy allows it), labels tied to their fields, English or Simplified Chinese.
// The look itself, under a strict CSP, is checked in Chromium by test/e2e/connect-pages.test.ts.

const zh = { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' };
const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];
const headingOf = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1];
const langOf = (html: string) => /<html lang="([^"]+)"/.exec(html)?.[1];

/** Every label names a field by id, and every field that is not hidden has its label. */
function labelsOf(html: string): { labels: string[]; fields: string[] } {
  const labels = [...html.matchAll(/<label for="([^"]+)">/g)].map((m) => m[1]!);
  const fields = [...html.matchAll(/<input ([^>]*)>/g)].filter((m) => !/type="hidden"/.test(m[1]!)).map((m) => /id="([^"]+)"/.exec(m[1]!)?.[1] ?? '(no id)');
  return { labels, fields };
}

for (const kind of storeKinds) {
  describe(`Connect's own pages on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    let double: Double;
    let site: TestSite;
    let n = 0;

    before(async () => {
      ({ store, dispose } = await kind.openConnect());
      double = await startWeibo();
      site = await startSite(store, [weibo({ ...weiboClient, baseUrl: double.url })]);
    });
    after(async () => {
      await site.close();
      await double.close();
      await dispose();
    });

    /** A login the person refuses at Weibo: the callback brings error=access_denied with the login's own state. */
    async function deniedAtWeibo(browser: TestBrowser, headers?: Record<string, string>) {
      const start = await browser.post('/auth/weibo/login', {});
      const state = new URL(start.location!).searchParams.get('state')!;
      return browser.get(`/auth/weibo/callback?error=access_denied&state=${state}`, headers);
    }

    /** A browser with a Weibo login waiting on the binding page. */
    async function pendingBrowser(at: TestSite = site): Promise<TestBrowser> {
      double.nextUser = `pages${kind.name}${++n}`;
      const browser = new TestBrowser(at.url);
      const { callback } = await loginWith(browser, 'weibo');
      assert.equal(callback.location, '/auth/pending', `a first Weibo login waits on the binding page: ${callback.text.slice(0, 200)}`);
      return browser;
    }

    test('the binding page: a fitting title, Connect\'s own stylesheet, a label for every field', async () => {
      const browser = await pendingBrowser();
      const page = await browser.get('/auth/pending');
      assert.equal(page.status, 200, 'the binding page answers 200');
      assert.equal(titleOf(page.text), 'Finish logging in with Weibo', 'its title names the provider');
      assert.equal(langOf(page.text), 'en', 'English without Accept-Language');
      const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page.text)?.[1];
      assert.match(href ?? '', /^\/auth\/assets\/connect\.css\?v=[0-9a-f]{12}$/, `the page links the stylesheet Connect serves under basePath, versioned: ${href}`);
      assert.ok(!/<style|style="/.test(page.text), 'no inline style, which a style-src \'self\' policy would refuse');
      const css = await browser.get(href!);
      assert.equal(css.status, 200, 'Connect serves its stylesheet');
      assert.match(css.headers.get('content-type') ?? '', /^text\/css/, 'as text/css');
      assert.match(css.headers.get('cache-control') ?? '', /immutable/, 'cacheable for good: its URL changes with it');
      assert.match(css.text, /label \{ display: block/, 'labels sit above their fields');
      const { labels, fields } = labelsOf(page.text);
      assert.deepEqual(labels.sort(), fields.sort(), 'every field has a label naming it, and every label a field');
      assert.equal(fields.length, 4, 'username and display name to create an account; username and password to bind');
      const pattern = /pattern="([^"]+)"/.exec(page.text)?.[1];
      assert.doesNotThrow(() => new RegExp(pattern!, 'v'), `the username pattern is valid in the browser's "v" mode: ${pattern}`);
      assert.match(page.text, /Create a new account/, 'the page offers to create an account');
      assert.match(page.text, /Bind to an account I have/, 'and to bind one');
    });

    test('in Simplified Chinese for Accept-Language zh, refusals included', async () => {
      const browser = await pendingBrowser();
      const page = await browser.get('/auth/pending', zh);
      assert.equal(langOf(page.text), 'zh-CN', 'the page says it is in Simplified Chinese');
      assert.equal(titleOf(page.text), '完成 Weibo 登录', 'its title is in Chinese');
      assert.match(page.text, /<label for="connect-create-username">用户名<\/label>/, 'its labels are in Chinese');
      assert.ok(!/Create a new account|Username|Password/.test(page.text), 'no English words of Connect\'s own are left');
      const wrong = await browser.request('POST', '/auth/pending/bind', { form: { username: 'nobody-here', password: 'wrong password' }, headers: zh });
      assert.equal(wrong.status, 401, 'a wrong password on the binding page is a 401');
      assert.match(wrong.text, /<p role="alert" class="box error" data-code="invalid_credentials">用户名或密码不对。<\/p>/, 'the refusal is worded in Chinese');
      const denied = await deniedAtWeibo(new TestBrowser(site.url), zh);
      assert.equal(denied.status, 400, 'saying no at Weibo ends on a 400 page');
      assert.equal(titleOf(denied.text), '登录没有成功', 'a failed login\'s page has a Chinese title');
      assert.match(denied.text, /你没有允许 Weibo 让你在本网站登录。/, 'and says in Chinese that the person did not allow it');
      const stale = await new TestBrowser(site.url).get('/auth/weibo/callback?state=stale&code=whatever', zh);
      assert.match(stale.text, /这个登录链接在这里无效/, 'a stale link is explained in Chinese, without Connect\'s English details');
    });

    test('the unbinding refusal has a title that says what happened, and leads back to the account', async () => {
      const browser = await pendingBrowser();
      await browser.post('/auth/pending/register', { username: `only${kind.name}${n}`, displayName: 'Only' });
      const account = await browser.get('/account');
      const [identity] = (account.json() as { identities: Array<{ id: string }> }).identities;
      const refused = await browser.post('/auth/unbind', { identity: identity!.id });
      assert.equal(refused.status, 409, 'unbinding the only way to log in is refused');
      assert.equal(titleOf(refused.text), 'You cannot remove your only way to log in', 'the title says what cannot be done, not that a login failed');
      assert.equal(headingOf(refused.text), 'You cannot remove your only way to log in', 'and so does the heading');
      assert.match(refused.text, /<a href="\/account">Back<\/a>/, 'its link goes back to the account page');
      const refusedZh = await browser.post('/auth/unbind', { identity: identity!.id }, zh);
      assert.equal(titleOf(refusedZh.text), '不能解除你唯一的登录方式', 'in Chinese too');
      assert.match(refusedZh.text, /这是你唯一的登录方式/, 'with the reason in Chinese');
    });

    test('the locale option fixes the language, or a function of the request chooses it', async () => {
      const fixed = await startSite(store, [weibo({ ...weiboClient, baseUrl: double.url })], { locale: 'zh-CN' });
      const chosen = await startSite(store, [weibo({ ...weiboClient, baseUrl: double.url })], { locale: (request) => (request.headers.cookie?.includes('site_lang=zh') ? 'zh-CN' : 'en') });
      try {
        const english = { 'accept-language': 'en-US,en;q=0.9' };
        const fixedPage = await (await pendingBrowser(fixed)).get('/auth/pending', english);
        assert.equal(langOf(fixedPage.text), 'zh-CN', 'locale: "zh-CN" wins over an English Accept-Language');
        const browser = await pendingBrowser(chosen);
        assert.equal(langOf((await browser.get('/auth/pending', zh)).text), 'en', 'the site\'s function chose English despite Accept-Language');
        browser.cookies.set('site_lang', 'zh');
        assert.equal(langOf((await browser.get('/auth/pending', english)).text), 'zh-CN', 'and Chinese from the site\'s own cookie');
      } finally {
        await fixed.close();
        await chosen.close();
      }
    });

    test('a site\'s own pages still replace Connect\'s, and get the codes and values to word them', async () => {
      const seen: { error?: ErrorPageInput; pending?: PendingPageInput } = {};
      const pages: ConnectOptions['pages'] = {
        error: (input) => ((seen.error = input), `<p>site error ${input.code}</p>`),
        pending: (input) => ((seen.pending = input), `<p>site pending ${input.providerName}</p>`),
      };
      const own = await startSite(store, [weibo({ ...weiboClient, baseUrl: double.url })], { pages });
      try {
        const browser = await pendingBrowser(own);
        assert.equal((await browser.get('/auth/pending')).text, '<p>site pending Weibo</p>', 'the site\'s binding page is shown');
        const locked = await browser.post('/auth/local/login', { username: 'nobody-here', password: 'wrong password' });
        assert.equal(locked.text, '<p>site error invalid_credentials</p>', 'the site\'s error page is shown');
        const denied = await deniedAtWeibo(browser);
        assert.equal(denied.text, '<p>site error access_denied</p>', 'for a failed login too');
        assert.deepEqual(seen.error?.params, { provider: 'Weibo', providerError: 'access_denied' }, 'with the provider\'s name and error, to word the message in the site\'s language');
      } finally {
        await own.close();
      }
    });
  });
}

describe('the page functions alone', () => {
  test('errorPage and pendingPage escape what they are given', () => {
    const input = { status: 400, code: 'x"<', message: '<script>alert(1)</script>', backTo: '/"><script>' };
    const html = errorPage(input, { locale: 'en', basePath: '/auth' });
    assert.ok(!html.includes('<script>'), 'no markup from the input reaches the page');
    const pending = pendingPage({
      basePath: '/auth', providerName: '<b>P</b>', username: '"><img>',
      identity: { id: 'i', provider: 'p', subject: 's', userId: null, profile: { name: '<i>n</i>', email: null, emailVerified: false, avatar: null }, sealedTokens: null } as never,
    });
    assert.ok(!/<b>|<i>|<img>/.test(pending), 'nor from a provider\'s name or profile');
  });
});
