export { github, type GitHubOptions } from './github.ts';
export { google, type GoogleOptions } from './google.ts';
export { grantry, type GrantryOptions } from './grantry.ts';
export { oauth2, type OAuth2Options } from './oauth2.ts';
export { oidc, type OidcOptions } from './oidc.ts';
export { qq, type QQOptions } from './qq.ts';
export { wechat, type WeChatOptions } from './wechat.ts';
export { weibo, type WeiboOptions } from './weibo.ts';
