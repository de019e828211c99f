import { github, google, grantry, qq, wechat, weibo, type LazyProvider, type Provider } from '../connect/index.ts';

// "Log in with X" buttons appear for the providers whose keys are in the environment; Grantry's
// is always there (its preset reads the provider's metadata on first use).

export function demoProviders(options: { providerIssuer: string; clientId: string; clientSecret: string }, env = process.env): Array<Provider | LazyProvider> {
  const providers: Array<Provider | LazyProvider> = [
    grantry({ issuer: options.providerIssuer, clientId: options.clientId, clientSecret: options.clientSecret }),
  ];
  if (env.WEIBO_CLIENT_ID && env.WEIBO_CLIENT_SECRET) providers.push(weibo({ clientId: env.WEIBO_CLIENT_ID, clientSecret: env.WEIBO_CLIENT_SECRET }));
  if (env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET) providers.push(github({ clientId: env.GITHUB_CLIENT_ID, clientSecret: env.GITHUB_CLIENT_SECRET }));
  if (env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET) providers.push(google({ clientId: env.GOOGLE_CLIENT_ID, clientSecret: env.GOOGLE_CLIENT_SECRET }));
  if (env.WECHAT_APP_ID && env.WECHAT_APP_SECRET) providers.push(wechat({ appId: env.WECHAT_APP_ID, appSecret: env.WECHAT_APP_SECRET }));
  if (env.QQ_APP_ID && env.QQ_APP_KEY) providers.push(qq({ appId: env.QQ_APP_ID, appKey: env.QQ_APP_KEY }));
  return providers;
}
