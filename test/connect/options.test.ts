import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ConnectOptionError, createConnect, github, google, grantry, oauth2, oidc, qq, wechat, weibo, type ConnectOptions, type Provider,
} from '../../src/connect/index.ts';
import type { ConnectStore } from '../../src/connect/storage.ts';
import { sqliteKind } from '../helpers/stores.ts';
import { secret } from './helpers.ts';

// createConnect and every preset refuse what cannot work when the site starts, in one line that
// names the option; never a TypeError from deep inside, never a site that starts and answers 404
// for a provider it was given.

/** The refusal `run` throws: a ConnectOptionError naming `option`, in one line, whose message matches `words`. */
function refused(run: () => unknown, option: string, words: RegExp, what: string): ConnectOptionError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConnectOptionError, `${what}: refused with a ConnectOptionError, not ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  const error = caught as ConnectOptionError;
  assert.equal(error.option, option, `${what}: the error names the option ${option}`);
  assert.ok(!error.message.includes('\n'), `${what}: the message is one line: ${error.message}`);
  assert.match(error.message, words, `${what}: the message says what to give: ${error.message}`);
  return error;
}

const weiboClient = { clientId: 'weibo-app-key', clientSecret: 'weibo-app-secret' };

describe('Connect refuses options that cannot work, at start', () => {
  let store: ConnectStore;
  let dispose: () => Promise<void>;
  before(async () => ({ store, dispose } = await sqliteKind.openConnect()));
  after(async () => dispose());

  const valid = (): ConnectOptions => ({ store, secret, siteUrl: 'https://www.example.com', providers: [weibo(weiboClient)] });
  const without = (name: keyof ConnectOptions): ConnectOptions => {
    const options = valid();
    delete options[name];
    return options;
  };

  test('valid options start', () => {
    const connect = createConnect(valid());
    assert.deepEqual(connect.providerList(), [{ id: 'weibo', name: 'Weibo' }], 'the options of the docs start a site with its provider');
  });

  test('the site secret: missing, not a string, or shorter than 32 characters, named without its value', () => {
    refused(() => createConnect(without('secret')), 'secret', /secret option is missing.*at least 32 characters.*SITE_SECRET/, 'no secret (process.env.SITE_SECRET unset)');
    refused(() => createConnect({ ...valid(), secret: 42 as unknown as string }), 'secret', /must be a string, not number/, 'a number as secret');
    const short = 'short-but-secret-value';
    const error = refused(() => createConnect({ ...valid(), secret: short }), 'secret', new RegExp(`is ${short.length} characters long; it must be at least 32`), 'a short secret');
    assert.ok(!error.message.includes(short), `the message never holds the secret's value: ${error.message}`);
  });

  test('siteUrl: missing, relative, another scheme, or more than an origin', () => {
    refused(() => createConnect(without('siteUrl')), 'siteUrl', /siteUrl option is missing.*https:\/\/www\.example\.com/, 'no siteUrl');
    refused(() => createConnect({ ...valid(), siteUrl: 'www.example.com' }), 'siteUrl', /"www\.example\.com" is not an absolute URL/, 'a host without a scheme');
    refused(() => createConnect({ ...valid(), siteUrl: 'ftp://www.example.com' }), 'siteUrl', /is not an http\(s\) URL/, 'an ftp URL');
    refused(() => createConnect({ ...valid(), siteUrl: 'https://www.example.com/app' }), 'siteUrl', /holds more than an origin; give https:\/\/www\.example\.com and put a path prefix into basePath/, 'a URL with a path');
    assert.equal(createConnect({ ...valid(), siteUrl: 'https://www.example.com/' }).origin, 'https://www.example.com', 'an origin with its trailing slash is accepted');
  });

  test('the store: missing, or the provider\'s store instead of Connect\'s', () => {
    refused(() => createConnect(without('store')), 'store', /store option is missing; open one with openStore/, 'no store');
    refused(() => createConnect({ ...valid(), store: {} as ConnectStore }), 'store', /not a Connect store/, 'an object that is no Connect store');
  });

  test('providers: not an array, a Promise (an un-awaited asynchronous preset), nothing, a repeated or unroutable id', () => {
    refused(() => createConnect({ ...valid(), providers: weibo(weiboClient) as unknown as Provider[] }), 'providers', /must be an array of presets/, 'one provider not in an array');
    const pending = Promise.resolve(weibo(weiboClient));
    refused(() => createConnect({ ...valid(), providers: [pending as unknown as Provider] }), 'providers[0]', /providers\[0\] is a Promise, not a provider.*without await.*lazyProvider/, 'a Promise as a provider');
    refused(() => createConnect({ ...valid(), providers: [weibo(weiboClient), undefined as unknown as Provider] }), 'providers[1]', /providers\[1\] is undefined, not a provider/, 'a provider left undefined');
    refused(() => createConnect({ ...valid(), providers: [weibo(weiboClient), weibo(weiboClient)] }), 'providers[1]', /repeats the provider id "weibo"/, 'the same id twice');
    refused(() => createConnect({ ...valid(), providers: [{ ...weibo(weiboClient), id: 'My Weibo' }] }), 'providers[0]', /id string "My Weibo".*path segment/, 'an id with a space and capitals');
  });

  test('a provider built by hand without its client id, or without the secret its token endpoint needs', () => {
    const handMade = { ...weibo(weiboClient) };
    refused(() => createConnect({ ...valid(), providers: [{ ...handMade, clientId: '' }] }), 'providers[0].clientId', /\("weibo"\) has no clientId/, 'no client id');
    refused(() => createConnect({ ...valid(), providers: [{ ...handMade, clientSecret: undefined }] }), 'providers[0].clientSecret', /has no clientSecret, and its token endpoint needs one \(client_secret_post\)/, 'no client secret');
    assert.doesNotThrow(() => createConnect({ ...valid(), providers: [{ ...handMade, clientSecret: undefined, tokenAuth: 'none' }] }), 'a public client (token auth none) needs no secret');
  });

  test('logger, locale and pages of the wrong kind', () => {
    refused(() => createConnect({ ...valid(), logger: {} as never }), 'logger', /must have a warn function/, 'a logger without warn');
    refused(() => createConnect({ ...valid(), locale: 'fr' as never }), 'locale', /"en" or "zh-CN"/, 'a language Connect does not speak');
    refused(() => createConnect({ ...valid(), pages: { error: '<p>' as never } }), 'pages.error', /must be a function/, 'a page that is no function');
    refused(() => createConnect({ ...valid(), basePath: 'auth' }), 'basePath', /starting with one "\/"/, 'a base path without its slash');
  });
});

describe('every preset refuses a missing client id or secret when it is called', () => {
  test('each preset names its own option and where the value comes from', () => {
    const cases: Array<[string, () => unknown, string, RegExp]> = [
      ['weibo without its App Secret', () => weibo({ clientId: 'key', clientSecret: process.env.GRANTRY_TEST_UNSET_VARIABLE! }), 'weibo().clientSecret', /weibo\(\): clientSecret is missing; it is the App Secret of your Weibo app/],
      ['weibo without its App Key', () => weibo({ clientId: '', clientSecret: 'secret' }), 'weibo().clientId', /App Key/],
      ['github without a secret', () => github({ clientId: 'id', clientSecret: undefined as never }), 'github().clientSecret', /client secret of your GitHub OAuth app/],
      ['google without a client id', () => google({ clientId: undefined as never, clientSecret: 'secret' }), 'google().clientId', /Google Cloud console/],
      ['wechat without its AppSecret', () => wechat({ appId: 'wx1', appSecret: '' }), 'wechat().appSecret', /AppSecret of your WeChat website app/],
      ['qq without its APP Key', () => qq({ appId: '1', appKey: undefined as never }), 'qq().appKey', /APP Key of your QQ Connect app/],
      ['grantry without a client id', () => grantry({ issuer: 'https://id.example.com', clientId: undefined as never }), 'grantry().clientId', /Client ID of your app at the Grantry provider/],
      ['grantry with an empty secret', () => grantry({ issuer: 'https://id.example.com', clientId: 'id', clientSecret: '' }), 'grantry().clientSecret', /clientSecret is missing/],
      ['grantry with a host for issuer', () => grantry({ issuer: 'id.example.com', clientId: 'id' }), 'grantry().issuer', /"id\.example\.com" is not an absolute http\(s\) URL/],
      ['oidc without an issuer', () => oidc({ issuer: undefined as never, clientId: 'id' }), 'oidc().issuer', /issuer is missing/],
      ['oauth2 without a token endpoint', () => oauth2({ id: 'x', clientId: 'id', authorizationEndpoint: 'https://x.example/a', tokenEndpoint: '', userinfoEndpoint: 'https://x.example/u' }), 'oauth2().tokenEndpoint', /tokenEndpoint is missing/],
      ['a preset called without options', () => (weibo as (options?: unknown) => unknown)(), 'weibo()', /weibo\(\) needs its options: weibo\(\{ clientId, clientSecret \}\)/],
    ];
    for (const [what, run, option, words] of cases) refused(run, option, words, what);
  });

  test('grantry() and oidc() are synchronous: they answer at once, without a request, and load on first use', async () => {
    const provider = grantry({ issuer: 'http://127.0.0.1:9/', clientId: 'id', clientSecret: 'secret' });
    assert.ok(!(provider instanceof Promise) && typeof (provider as { then?: unknown }).then !== 'function', 'grantry() answers a provider, not a Promise');
    assert.deepEqual({ id: provider.id, name: provider.name }, { id: 'grantry', name: 'Grantry' }, 'its id and name are known before any request');
    const op = oidc({ issuer: 'https://op.example.com', clientId: 'id' });
    assert.equal(op.id, 'op.example.com', 'an OpenID Connect provider is named by its issuer\'s host until given an id');
    assert.equal(typeof op.load, 'function', 'oidc() answers a provider that loads its discovery document when first used');
  });
});
