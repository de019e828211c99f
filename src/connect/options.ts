import { ConnectOptionError } from './client/errors.ts';
import type { Provider } from './client/types.ts';
import type { ConnectOptions } from './connect.ts';
import { isLocale } from '../i18n/negotiate.ts';
import { isLogger } from './log.ts';

// createConnect's options, checked when the site starts. Each refusal is one line naming the
// option and what to give instead; a wrong value would otherwise surface later as a TypeError, a
// 404 for a provider the site did configure, or a login that fails at the provider.

/** The shortest secret accepted: the keys for tokens at rest and for the site's access tokens derive from it. */
export const minimumSecretLength = 32;

/** What a provider id may be: it is a path segment (/auth/<id>/login) and the key of every identity stored for it. */
const providerIdPattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const refuse = (option: string, message: string): never => {
  throw new ConnectOptionError(option, `createConnect: ${message}`);
};

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** A wrong value as a message may show it: its kind, and a short scalar's value. */
function shown(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${JSON.stringify(value).slice(0, 80)}`;
}

export function checkConnectOptions(options: ConnectOptions): void {
  if (options === null || typeof options !== 'object') refuse('options', 'give it an options object: createConnect({ store, secret, siteUrl, providers })');
  checkStore(options.store);
  checkSecret(options.secret);
  checkSiteUrl(options.siteUrl);
  // afterLoginPath and afterLogoutPath are redirect targets a site may point anywhere; these three are Connect's own routes.
  for (const name of ['basePath', 'apiPath', 'spaCallbackPath'] as const) checkPath(name, options[name]);
  if (options.basePath !== undefined && options.basePath === options.apiPath) refuse('apiPath', `apiPath and basePath are both "${options.basePath}"; give them different paths`);
  checkProviders(options.providers);
  if (options.logger !== undefined && !isLogger(options.logger)) refuse('logger', 'logger must have a warn function, as pino\'s, Fastify\'s (app.log) or console do');
  if (options.locale !== undefined && typeof options.locale !== 'function' && !isLocale(options.locale)) {
    refuse('locale', `locale ${shown(options.locale)} is not one Connect's pages speak: "en" or "zh-CN", or a function of the request`);
  }
  for (const [name, page] of Object.entries(options.pages ?? {})) {
    if (name !== 'pending' && name !== 'error') refuse(`pages.${name}`, `pages.${name} is not a page Connect shows; it shows "pending" and "error"`);
    if (typeof page !== 'function') refuse(`pages.${name}`, `pages.${name} must be a function (input, request) => html`);
  }
}

function checkStore(store: unknown): void {
  if (store === undefined || store === null) refuse('store', 'the store option is missing; open one with openStore(\'sqlite:./data/site.sqlite\') or openStore(\'postgres://…\') from grantry/connect');
  // The provider's store has no Connect tables: passing it instead of Connect's fails here, not at the first login.
  if (typeof (store as { purgeExpiredConnect?: unknown }).purgeExpiredConnect !== 'function') {
    refuse('store', 'the store option is not a Connect store; open one with openStore from grantry/connect (the provider\'s store from grantry holds other tables)');
  }
}

function checkSecret(secret: unknown): void {
  const how = 'a random string of at least 32 characters kept out of the code, e.g. process.env.SITE_SECRET (make one with: openssl rand -base64 32)';
  if (secret === undefined || secret === null || secret === '') refuse('secret', `the secret option is missing; give ${how}`);
  if (typeof secret !== 'string') refuse('secret', `the secret option must be a string, not ${secret === null ? 'null' : typeof secret}; give ${how}`);
  // Its length only: a secret's value never goes into a message.
  if ((secret as string).length < minimumSecretLength) refuse('secret', `the secret option is ${(secret as string).length} characters long; it must be at least ${minimumSecretLength}: ${how}`);
}

function checkSiteUrl(siteUrl: unknown): void {
  const example = 'the site\'s origin as browsers see it, e.g. https://www.example.com';
  if (siteUrl === undefined || siteUrl === null || siteUrl === '') refuse('siteUrl', `the siteUrl option is missing; give ${example}`);
  if (typeof siteUrl !== 'string') refuse('siteUrl', `the siteUrl option must be a string, not ${typeof siteUrl}; give ${example}`);
  let url: URL;
  try {
    url = new URL(siteUrl as string);
  } catch {
    return refuse('siteUrl', `siteUrl "${String(siteUrl)}" is not an absolute URL; give ${example}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse('siteUrl', `siteUrl "${String(siteUrl)}" is not an http(s) URL; give ${example}`);
  // The callbacks are <origin><basePath>/<provider>/callback: a path here would be dropped without a word.
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    refuse('siteUrl', `siteUrl "${String(siteUrl)}" holds more than an origin; give ${url.origin} and put a path prefix into basePath and apiPath`);
  }
}

function checkPath(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//')) refuse(name, `${name} must be a path on the site starting with one "/", like "/auth"; got ${shown(value)}`);
  if (value !== '/' && (value as string).endsWith('/') && (name === 'basePath' || name === 'apiPath')) refuse(name, `${name} "${String(value)}" must not end with "/"`);
}

function checkProviders(providers: unknown): void {
  if (!Array.isArray(providers)) refuse('providers', `the providers option must be an array of presets, e.g. providers: [grantry({ issuer, clientId, clientSecret })]; got ${shown(providers)}`);
  const seen = new Set<string>();
  (providers as unknown[]).forEach((provider, index) => {
    const option = `providers[${index}]`;
    if (isThenable(provider)) {
      refuse(option, `${option} is a Promise, not a provider. Every preset is synchronous now: pass grantry({ … }) without await; for an asynchronous provider of your own, await it before createConnect or wrap it in lazyProvider(id, name, load)`);
    }
    if (provider === null || typeof provider !== 'object') refuse(option, `${option} is ${shown(provider)}, not a provider; use a preset such as weibo({ clientId, clientSecret })`);
    const { id, name } = provider as { id?: unknown; name?: unknown };
    if (typeof id !== 'string' || !providerIdPattern.test(id)) {
      refuse(option, `${option} has the id ${shown(id)}; a provider id is a path segment of lower-case letters, digits, ".", "_" and "-" (give the preset an id option)`);
    }
    if (typeof name !== 'string' || name === '') refuse(option, `${option} ("${String(id)}") has no name to show on its login button`);
    if (seen.has(id as string)) refuse(option, `${option} repeats the provider id "${String(id)}"; give one of them another id (the preset's id option)`);
    seen.add(id as string);
    if (typeof (provider as { load?: unknown }).load !== 'function') checkCredentials(option, provider as Provider);
  });
}

/** A provider built by hand (or a preset given empty values): its client id, and its secret where its token endpoint needs one. */
function checkCredentials(option: string, provider: Provider): void {
  const label = `${option} ("${provider.id}")`;
  if (typeof provider.clientId !== 'string' || provider.clientId === '') refuse(`${option}.clientId`, `${label} has no clientId; give the client id ${provider.name} issued to this site`);
  const needsSecret = provider.tokenAuth === 'client_secret_basic' || provider.tokenAuth === 'client_secret_post';
  if (needsSecret && (typeof provider.clientSecret !== 'string' || provider.clientSecret === '')) {
    refuse(`${option}.clientSecret`, `${label} has no clientSecret, and its token endpoint needs one (${provider.tokenAuth}); give the client secret ${provider.name} issued to this site`);
  }
  for (const field of ['authorizationEndpoint', 'tokenEndpoint'] as const) {
    if (typeof provider[field] !== 'string' || provider[field] === '') refuse(`${option}.${field}`, `${label} has no ${field}`);
  }
}
