// grantry: the OAuth provider as a library.
//
//   import { createProvider } from 'grantry';
//   const app = await createProvider({ issuer: 'https://id.example.com', secret: process.env.GRANTRY_SECRET! });
//   await app.listen({ port: 3000 });
//
// "Log in with X" for websites is grantry/connect; its browser module is grantry/connect/browser.

export { createProvider, type GrantryServer, type ProviderOptions } from './provider/create.ts';
export { makeConfig, ConfigError, type ConfigOverrides, type GrantryConfig } from './config/config.ts';
export { defaults } from './config/defaults.ts';
export { openStore, type Store, type OpenOptions } from './store/index.ts';
export type { ProviderContext } from './provider/context.ts';
export { registerClient, updateClient, rotateClientSecret, RegistrationError, type Registration } from './provider/protocol/clients.ts';
export { hashPassword } from './provider/accounts/authenticate.ts';
export { rotateSigningKeys } from './provider/protocol/tokens/keys.ts';
export { OAuthError, type OAuthErrorCode } from './provider/protocol/errors.ts';
export type { Client, User, Grant } from './store/index.ts';
