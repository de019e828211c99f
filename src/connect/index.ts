// grantry/connect: "Log in with X" for a website's back end.
//
//   const connect = createConnect({ store, secret, siteUrl, providers: [weibo({ clientId, clientSecret })] });
//   app.use(connectExpress(connect));            // or: fastify.register(connectFastify, { connect })
//
// The OAuth client (./client/) and the presets (./presets/) can be used alone; the binding rules
// (./binding/) and the adapters (./adapters/) add the site's accounts on top.

export { Connect, createConnect, type ConnectOptions, type EndSessionOptions } from './connect.ts';
export { type ConnectLogger } from './log.ts';
export * from './client/index.ts';
export * from './presets/index.ts';
export {
  authenticateLocalUser, loginAndBind, peekTicket, registerAndBind, registerLocalUser, resolveCallback, safeReturnTo, sealTokens, unbindIdentity, unsealTokens,
  type BindingResult, type CallbackOutcome,
} from './binding/index.ts';
export { beginLogin, finishLogin, loginStateLifetime } from './login.ts';
export { SiteSessions } from './session.ts';
export { cookieNames, connectRoutes, handleConnectRequest } from './adapters/core.ts';
export { escapeHtml, parseCookies, type ConnectRequest, type ConnectResponse } from './adapters/http.ts';
export { defaultPages, pendingPage, errorPage, type ConnectPages, type ErrorPageInput, type LocaleOption, type MessageParams, type PageContext, type PendingPageInput } from './adapters/pages.ts';
export { connectFastify } from './adapters/fastify.ts';
export { connectExpress } from './adapters/express.ts';
export type { ConnectIdentity, ConnectProfile, ConnectUser } from './storage.ts';
export { openConnectStore, openConnectStore as openStore } from '../store/connect/index.ts';
export type { ConnectStore, ConnectOperations } from './storage.ts';
