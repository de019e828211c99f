import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { connectFastify, createConnect, escapeHtml, weibo, type Connect, type ConnectStore } from '../../src/connect/index.ts';
import { listenFirst, type EarlyServer } from '../../src/lib/listen-first.ts';
import { Shots } from '../helpers/browser-shots.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { sqliteKind } from '../helpers/stores.ts';
import type { Double } from '../connect/doubles/server.ts';
import { startWeibo, weiboClient } from '../connect/doubles/weibo.ts';

// Connect's own binding and error pages as a visitor sees them, in headless Chromium, on a site
// that wrote none of its own and sends a strict Content-Security-Policy (default-src 'self', as
// the demo site's): the stylesheet Connect serves is applied, labels sit above their fields, the
// titles fit, in English at 1000 px and in Simplified Chinese at 360 px, with no CSP refusal, no
// serious accessibility finding (axe) and nothing wider than the window. Shots go to
// test-artifacts/journeys/connect-*.png.

const policy = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

describe('Connect\'s own pages in a real browser, under a strict CSP', () => {
  let browser: Browser;
  let weiboDouble: Double;
  let store: ConnectStore;
  let dispose: () => Promise<void>;
  let early: EarlyServer;
  let app: FastifyInstance;
  let connect: Connect;
  let siteUrl: string;
  const contexts: BrowserContext[] = [];
  const allShots: Shots[] = [];

  before(async () => {
    [browser, weiboDouble, { store, dispose }, early] = await Promise.all([launchChromium(), startWeibo(), sqliteKind.openConnect(), listenFirst('127.0.0.1', 0)]);
    siteUrl = `http://127.0.0.1:${early.port}`;
    connect = createConnect({ store, secret: 'connect-pages-secret-0123456789abcdef', siteUrl, providers: [weibo({ ...weiboClient, baseUrl: weiboDouble.url })], logger: { warn: () => {} } });
    app = Fastify({ serverFactory: early.serverFactory });
    app.addHook('onSend', async (_request, reply, payload) => {
      if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.header('content-security-policy', policy);
      return payload;
    });
    await app.register(connectFastify, { connect });
    // The site's own two pages: a login button, and an account page with an unbind button per login.
    const page = (body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Site</title></head><body><main>${body}</main></body></html>`;
    app.get('/', async (_request, reply) => reply.type('text/html').send(page('<h1>Site</h1><form method="post" action="/auth/weibo/login"><button>Log in with Weibo</button></form>')));
    app.get('/account', async (request, reply) => {
      const user = await connect.userFromCookies(request.headers.cookie);
      if (!user) return reply.redirect('/');
      const logins = (await connect.identitiesOf(user.id))
        .map((i) => `<form method="post" action="/auth/unbind"><input type="hidden" name="identity" value="${escapeHtml(i.id)}"><button>Unbind ${escapeHtml(i.provider)}</button></form>`)
        .join('');
      return reply.type('text/html').send(page(`<h1>Account of ${escapeHtml(user.username)}</h1>${logins}`));
    });
    await app.ready();
  });
  after(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await app?.close();
    await early?.close();
    await weiboDouble?.close();
    await dispose?.();
    await browser?.close();
  });

  const problems = new WeakMap<Page, string[]>();
  async function visitor(locale: 'en' | 'zh-CN', width: number): Promise<Page> {
    const context = await browser.newContext({ locale: locale === 'en' ? 'en-US' : 'zh-CN', viewport: { width, height: 740 } });
    context.setDefaultTimeout(30_000);
    contexts.push(context);
    const page = await context.newPage();
    const seen: string[] = [];
    page.on('pageerror', (error) => seen.push(error.message));
    // A Content-Security-Policy refusal means part of a page (its stylesheet) did not load.
    page.on('console', (message) => message.type() === 'error' && /Content Security Policy/i.test(message.text()) && seen.push(message.text()));
    problems.set(page, seen);
    return page;
  }

  /** How the page looks: the stylesheet's font applied, and each label's box above its field's. */
  async function layoutOf(page: Page) {
    return page.evaluate(() => ({
      font: getComputedStyle(document.body).fontFamily,
      fields: [...document.querySelectorAll('label')].map((label) => {
        const field = document.getElementById(label.htmlFor)!;
        const [l, f] = [label.getBoundingClientRect(), field.getBoundingClientRect()];
        return { label: label.textContent, above: l.bottom <= f.top + 1, alignedLeft: Math.abs(l.left - f.left) < 2, fieldWidth: f.width };
      }),
    }));
  }

  for (const [locale, width, words] of [
    ['en', 1000, { pending: 'Finish logging in with Weibo', create: 'Create account', unbind: 'You cannot remove your only way to log in', failed: 'Logging in did not work' }],
    ['zh-CN', 360, { pending: '完成 Weibo 登录', create: '创建账号', unbind: '不能解除你唯一的登录方式', failed: '登录没有成功' }],
  ] as const) {
    test(`the binding, unbinding-refusal and error pages in ${locale}, ${width} px wide`, async () => {
      const shots = new Shots(`connect-${locale}`);
      allShots.push(shots);
      const page = await visitor(locale, width);
      weiboDouble.nextUser = `visitor-${locale}`;
      await page.goto(`${siteUrl}/`);
      await page.getByRole('button', { name: 'Log in with Weibo' }).click();
      await page.waitForURL(`${siteUrl}/auth/pending`);
      assert.equal(await page.title(), words.pending, 'the binding page\'s title names the provider');
      const layout = await layoutOf(page);
      assert.match(layout.font, /system-ui/, `Connect's stylesheet is applied under the site's CSP: ${layout.font}`);
      assert.equal(layout.fields.length, 4, 'four labelled fields');
      for (const field of layout.fields) {
        assert.ok(field.above && field.alignedLeft, `the label "${field.label}" sits above its field: ${JSON.stringify(field)}`);
        assert.ok(field.fieldWidth > 200, `the field of "${field.label}" is wide enough to type in: ${field.fieldWidth}px`);
      }
      await shots.take(page, 'pending');

      await page.locator('#connect-create-username').fill(`visitor_${locale === 'en' ? 'en' : 'zh'}`);
      await page.getByRole('button', { name: words.create }).click();
      await page.waitForURL(`${siteUrl}/account`);
      await page.getByRole('button', { name: 'Unbind weibo' }).click();
      await page.getByRole('heading', { name: words.unbind, level: 1 }).waitFor();
      assert.equal(await page.title(), words.unbind, 'the refusal to unbind the only login says so in its title');
      await shots.take(page, 'unbind-refused');

      await page.goto(`${siteUrl}/auth/weibo/callback?state=stale&code=whatever`);
      assert.equal(await page.title(), words.failed, 'a stale login link ends on the failed-login page');
      await shots.take(page, 'error');
      assert.deepEqual(problems.get(page), [], 'no CSP refusal or script error on any of the pages');
    });
  }

  test('no serious accessibility finding, nothing wider than the window', () => {
    assert.equal(allShots.reduce((sum, shots) => sum + shots.count, 0), 6, 'three pages in each language were shot');
    assert.deepEqual(allShots.flatMap((shots) => shots.accessibility), [], 'no serious or critical axe finding on Connect\'s pages');
    assert.deepEqual(allShots.flatMap((shots) => shots.overflowing), [], 'no page is wider than its window');
  });
});
