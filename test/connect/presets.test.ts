import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { github, qq, unsealTokens, wechat, weibo, createAuthorizationRequest, parseBody, checkProviderError, ProviderError } from '../../src/connect/index.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { storeKinds } from '../helpers/stores.ts';
import { startGitHub, githubClient } from './doubles/github.ts';
import { startQQ, qqClient } from './doubles/qq.ts';
import type { Double } from './doubles/server.ts';
import { startWeChat, wechatClient } from './doubles/wechat.ts';
import { startWeibo, weiboClient } from './doubles/weibo.ts';
import { loginWith, startSite, TestBrowser, visible, type TestSite } from './helpers.ts';

// Each non-standard preset against a double that behaves as the provider documents, error shapes
// included; the login runs through real HTTP: site → provider → site.

for (const kind of storeKinds) {
  describe(`presets on ${kind.name}`, () => {
    let store: ConnectStore;
    let dispose: () => Promise<void>;
    const doubles: Double[] = [];
    const sites: TestSite[] = [];
    before(async () => ({ store, dispose } = await kind.openConnect()));
    after(async () => {
      for (const site of sites) await site.close();
      for (const double of doubles) await double.close();
      await dispose();
    });
    const keep = <T extends Double | TestSite>(value: T, list: T[]) => (list.push(value), value);

    test('Weibo: string uid and remind_in, JSON as text/plain, profile by idstr; the token stays on the server, sealed', async () => {
      const double = keep(await startWeibo(), doubles);
      const site = keep(await startSite(store, [weibo({ ...weiboClient, baseUrl: double.url })]), sites);
      const browser = new TestBrowser(site.url);
      double.nextUser = 'lin';
      const { authorizeUrl, callback } = await loginWith(browser, 'weibo');
      const authorize = new URL(authorizeUrl);
      assert.equal(authorize.searchParams.get('client_id'), weiboClient.clientId, 'the authorize URL carries the Weibo client_id');
      assert.ok(authorize.searchParams.get('state'), 'the authorize URL carries a state');
      assert.equal(callback.status, 303, 'the Weibo callback redirects with 303');
      assert.equal(callback.location, '/auth/pending', 'a first Weibo login goes to the binding page');
      const page = await browser.get('/auth/pending');
      assert.equal(page.status, 200, 'the binding page is shown');
      assert.match(page.text, /weibo_lin/, "the binding page shows the Weibo user's name");
      assert.match(page.text, /Create a new account/, 'the binding page offers to create a new account');
      assert.match(page.text, /Bind to an account I have/, 'the binding page offers to bind to an existing account');

      const tokenRequest = double.requests.find((r) => r.path === '/oauth2/access_token')!;
      assert.equal(tokenRequest.body.grant_type, 'authorization_code', 'the token request uses the authorization_code grant');
      assert.equal(tokenRequest.body.client_secret, weiboClient.clientSecret, 'Weibo takes the client secret in the form');
      const identity = (await store.findIdentityBySubject('weibo', String(5865720000 + [...'lin'].reduce((s, c) => s + c.charCodeAt(0), 0))))!;
      assert.equal(identity.userId, null, 'stored at once, not bound');
      assert.equal(identity.profile.name, 'weibo_lin', "the profile name is the Weibo user's screen name");
      assert.ok(identity.sealedTokens && !identity.sealedTokens.includes('2.00weibo'), 'sealed at rest');
      const tokens = unsealTokens(site.connect.tokenKey, identity.id, identity.sealedTokens);
      assert.match(tokens.accessToken, /^2\.00weibo/, 'the sealed tokens hold the Weibo access token');
      assert.ok(tokens.expiresAt! > Date.now() / 1000 + 157_000_000, "remind_in sets the token's expiry about five years ahead");
      assert.ok(!visible(callback).includes(tokens.accessToken) && !visible(page).includes(tokens.accessToken), 'the platform token never reaches the browser');
      // Sealed for this identity only: the same ciphertext does not open as another row's.
      assert.throws(() => unsealTokens(site.connect.tokenKey, 'another-identity', identity.sealedTokens!), Error, "the tokens sealed for one identity do not open as another identity's");
    });

    test('Weibo without uid in the token response asks get_token_info; Weibo errors (error_code) end on an error page', async () => {
      const double = keep(await startWeibo({ omitUid: true }), doubles);
      const site = keep(await startSite(store, [weibo({ ...weiboClient, baseUrl: double.url })]), sites);
      const browser = new TestBrowser(site.url);
      double.nextUser = 'mei';
      const { callback } = await loginWith(browser, 'weibo');
      assert.equal(callback.location, '/auth/pending', 'a login without uid in the token response goes to the binding page');
      assert.ok(double.requests.some((r) => r.path === '/oauth2/get_token_info'), 'without uid in the token response the uid is asked of get_token_info');

      double.failNextToken = true;
      const failed = await loginWith(browser, 'weibo');
      assert.equal(failed.callback.status, 502, 'a Weibo error on the token endpoint ends on a 502 error page');
      assert.match(failed.callback.text, /Weibo refused the login \(invalid_grant\)/, 'the error page says Weibo refused the login, with its error');
      assert.equal(parseBody('{"error":"invalid_grant","error_code":21325,"request":"/oauth2/access_token"}').error_code, 21325, 'a Weibo error body keeps its numeric error_code');
    });

    test('GitHub: Accept and User-Agent are sent, the verified primary email is found, errors with HTTP 200 are errors', async () => {
      const double = keep(await startGitHub(), doubles);
      const site = keep(await startSite(store, [github({ ...githubClient, webUrl: double.url, apiUrl: double.url })]), sites);
      const browser = new TestBrowser(site.url);
      double.nextUser = 'octo';
      const { authorizeUrl, callback } = await loginWith(browser, 'github');
      assert.equal(new URL(authorizeUrl).searchParams.get('code_challenge_method'), 'S256', 'the GitHub authorize URL uses S256 PKCE');
      assert.equal(callback.location, '/auth/pending', 'a first GitHub login goes to the binding page');
      const tokenRequest = double.requests.find((r) => r.path === '/login/oauth/access_token')!;
      assert.match(String(tokenRequest.headers.accept), /application\/json/, 'the GitHub token request asks for JSON');
      assert.ok(tokenRequest.body.code_verifier, 'PKCE verifier sent');
      for (const request of double.requests.filter((r) => r.path.startsWith('/user'))) assert.ok(request.headers['user-agent'], `a User-Agent is sent to ${request.path}`);
      const identity = (await store.findIdentityBySubject('github', String(1000 + 'octo'.length)))!;
      assert.deepEqual(
        identity.profile,
        { name: 'GitHub octo', email: 'octo@verified.example', emailVerified: true, avatar: 'https://avatars.example/octo' },
        'the GitHub profile has the verified primary email, marked verified',
      );

      double.failNextToken = true;
      const failed = await loginWith(browser, 'github');
      assert.equal(failed.callback.status, 502, 'a GitHub error answered with HTTP 200 ends on a 502 error page');
      assert.match(failed.callback.text, /bad_verification_code/, "the error page names GitHub's error");
    });

    test('GitHub: an unverified primary email is kept but not marked verified', async () => {
      const double = keep(await startGitHub({ emails: [{ email: 'x@unverified.example', primary: true, verified: false }] }), doubles);
      const site = keep(await startSite(store, [github({ ...githubClient, webUrl: double.url, apiUrl: double.url })]), sites);
      double.nextUser = 'unverified-octo';
      await loginWith(new TestBrowser(site.url), 'github');
      const identity = (await store.findIdentityBySubject('github', String(1000 + 'unverified-octo'.length)))!;
      assert.equal(identity.profile.email, 'x@unverified.example', 'an unverified primary email is kept');
      assert.equal(identity.profile.emailVerified, false, 'an unverified primary email is not marked verified');
    });

    test('WeChat: appid in a fixed order and #wechat_redirect, GET token endpoint, unionid as subject, errcode errors', async () => {
      const double = keep(await startWeChat(), doubles);
      const site = keep(await startSite(store, [wechat({ ...wechatClient, openUrl: double.url, apiUrl: double.url })]), sites);
      const browser = new TestBrowser(site.url);
      double.nextUser = 'wang';
      const start = await browser.post('/auth/wechat/login', {});
      const url = start.location!;
      assert.ok(url.endsWith('#wechat_redirect'), 'the WeChat authorize URL ends with #wechat_redirect');
      assert.deepEqual([...new URL(url).searchParams.keys()], ['appid', 'redirect_uri', 'response_type', 'scope', 'state'], 'the WeChat authorize URL has appid first, in the documented order');
      assert.equal(new URL(url).searchParams.get('scope'), 'snsapi_login', 'the WeChat login asks for snsapi_login');
      const atProvider = await browser.get(url);
      const callback = await browser.get(atProvider.location!);
      assert.equal(callback.location, '/auth/pending', 'a first WeChat login goes to the binding page');
      const identity = (await store.findIdentityBySubject('wechat', 'unionid-wang'))!;
      assert.equal(identity.profile.name, '微信wang', "the profile name is the WeChat user's nickname");
      assert.equal(identity.profile.email, null, 'WeChat gives no email');
      const tokenRequest = double.requests.find((r) => r.path === '/sns/oauth2/access_token')!;
      assert.equal(tokenRequest.method, 'GET', "WeChat's token endpoint is called with GET");
      assert.equal(tokenRequest.query.secret, wechatClient.appSecret, 'the WeChat app secret is sent in the query');

      double.failNextToken = true;
      const failed = await loginWith(browser, 'wechat');
      assert.equal(failed.callback.status, 502, 'a WeChat errcode on the token endpoint ends on a 502 error page');
      assert.match(failed.callback.text, /40029/, 'the error page names the WeChat errcode');
    });

    test('WeChat: openid as subject when configured or when no unionid is sent; refresh through its own endpoint', async () => {
      const double = keep(await startWeChat({ unionid: false }), doubles);
      const provider = wechat({ ...wechatClient, openUrl: double.url, apiUrl: double.url, subject: 'openid' });
      const site = keep(await startSite(store, [provider]), sites);
      double.nextUser = 'zhao';
      await loginWith(new TestBrowser(site.url), 'wechat');
      const identity = (await store.findIdentityBySubject('wechat', 'openid-zhao'))!;
      const tokens = unsealTokens(site.connect.tokenKey, identity.id, identity.sealedTokens!);
      const { refreshTokens } = await import('../../src/connect/index.ts');
      const fresh = await refreshTokens(provider, tokens.refreshToken!);
      assert.notEqual(fresh.accessToken, tokens.accessToken, 'refreshing through the WeChat refresh endpoint gives a new access token');
      await assert.rejects(
        refreshTokens(provider, 'not-a-refresh-token'),
        (error: unknown) => error instanceof ProviderError && error.code === '40030',
        'an unknown refresh token is a ProviderError with errcode 40030',
      );
    });

    test('QQ: form-encoded token answer, JSONP /me, profile with oauth_consumer_key', async () => {
      const double = keep(await startQQ(), doubles);
      const site = keep(await startSite(store, [qq({ ...qqClient, baseUrl: double.url })]), sites);
      const browser = new TestBrowser(site.url);
      double.nextUser = 'zhang';
      const { callback } = await loginWith(browser, 'qq');
      assert.equal(callback.location, '/auth/pending', 'a first QQ login goes to the binding page');
      const identity = (await store.findIdentityBySubject('qq', 'QQOPENIDZHANG'))!;
      assert.deepEqual(
        identity.profile,
        { name: 'QQ zhang', email: null, emailVerified: false, avatar: 'https://qzapp.qlogo.cn/zhang/100' },
        'the QQ profile has the nickname and the avatar, without email',
      );
      const info = double.requests.find((r) => r.path === '/user/get_user_info')!;
      assert.equal(info.query.oauth_consumer_key, qqClient.appId, 'the QQ profile request carries oauth_consumer_key, the app id');

      double.failNextToken = true;
      const failed = await loginWith(browser, 'qq');
      assert.equal(failed.callback.status, 502, 'a QQ error on the token endpoint ends on a 502 error page');
      assert.match(failed.callback.text, /100019/, 'the error page names the QQ error code');
    });

    test('QQ: a token that /me says was issued to another app logs nobody in', async () => {
      const double = keep(await startQQ({ meClientId: '999' }), doubles);
      const site = keep(await startSite(store, [qq({ ...qqClient, baseUrl: double.url })]), sites);
      const { callback } = await loginWith(new TestBrowser(site.url), 'qq');
      assert.equal(callback.status, 502, 'a token issued to another app ends on a 502 error page');
      assert.match(callback.text, /another app/, 'the error page says the token was issued to another app');
    });
  });
}

describe('provider answers', () => {
  test('every provider\'s error shape is an error', () => {
    const cases: Array<[string, string]> = [
      ['{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}', 'bad_verification_code'],
      ['{"errcode":40029,"errmsg":"invalid code"}', '40029'],
      ['{"error":"invalid_grant","error_code":21325}', 'invalid_grant'],
      ['callback( {"error":100016,"error_description":"access token check failed"} );', '100016'],
      ['{"ret":-1,"msg":"invalid openid"}', '-1'],
    ];
    for (const [body, code] of cases) {
      assert.throws(() => checkProviderError(parseBody(body), 200), (error: unknown) => error instanceof ProviderError && error.code === code, `${body} is a ProviderError with code ${code}`);
    }
    assert.doesNotThrow(() => checkProviderError(parseBody('{"errcode":0,"errmsg":"ok"}'), 200), 'errcode 0 is no error');
    assert.doesNotThrow(() => checkProviderError(parseBody('{"ret":0,"msg":""}'), 200), 'ret 0 is no error');
    assert.deepEqual(parseBody('access_token=A&expires_in=7776000'), { access_token: 'A', expires_in: '7776000' }, 'a form-encoded answer is parsed as fields');
  });

  test('authorization requests carry state, S256 PKCE and, for OIDC, a nonce', () => {
    const provider = github({ ...githubClient });
    const request = createAuthorizationRequest(provider, { redirectUri: 'https://site.example/cb' });
    const url = new URL(request.url);
    assert.equal(url.searchParams.get('state'), request.state, 'the authorize URL carries the request state');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256', 'the authorize URL uses S256 PKCE');
    assert.equal(request.nonce, null, 'a non-OIDC request has no nonce');
    assert.ok(request.state.length >= 43 && request.codeVerifier.length >= 43, 'state and code verifier are at least 43 characters');
  });
});
