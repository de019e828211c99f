// The records the rest of Grantry sees: camelCase, lists as arrays, flags as booleans. How they are
// laid out in SQL is the store's business alone (./schema.ts).
import type { AppType, GrantType, TokenFormat } from '../config/defaults.ts';

export interface User {
  id: string;
  username: string;
  passwordHash: string;
  displayName: string;
  email: string | null;
  createdAt: number;
}

export interface Client {
  id: string;
  ownerId: string | null;
  name: string;
  description: string;
  homepage: string;
  appType: AppType;
  /** SHA-256 of the secret; null for public apps. */
  secretHash: string | null;
  redirectUris: string[];
  scopes: string[];
  grantTypes: GrantType[];
  pkceRequired: boolean;
  /** First-party: may use the password grant. Only an operator sets it. */
  trusted: boolean;
  tokenFormat: TokenFormat;
  createdAt: number;
  updatedAt: number;
}

export interface Grant {
  id: string;
  clientId: string;
  userId: string | null;
  scope: string;
  createdAt: number;
  revokedAt: number | null;
  revokeReason: string | null;
}

export interface AuthorizationCode {
  codeHash: string;
  grantId: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string | null;
  expiresAt: number;
  consumedAt: number | null;
}

export interface RefreshToken {
  tokenHash: string;
  grantId: string;
  clientId: string;
  userId: string | null;
  scope: string;
  createdAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  rotatedAt: number | null;
}

export interface AccessTokenRecord {
  tokenHash: string;
  /** Null for a token an app got for itself (client_credentials). */
  grantId: string | null;
  clientId: string;
  userId: string | null;
  scope: string;
  expiresAt: number;
}

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  publicJwk: string;
  /** Sealed; only ../provider/protocol/tokens/keys.ts opens it. */
  privateJwk: string;
  createdAt: number;
  activeFrom: number;
  retiredAt: number | null;
}

export interface Session {
  sessionHash: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
}

export interface LoginFailure {
  key: string;
  failures: number;
  firstFailureAt: number;
  lockedUntil: number | null;
}

export interface AuthorizedApp {
  client: Pick<Client, 'id' | 'name' | 'homepage' | 'appType'>;
  scope: string;
  firstAuthorizedAt: number;
  lastAuthorizedAt: number;
  grantIds: string[];
}

export interface EventRecord {
  type: string;
  clientId?: string | null;
  userId?: string | null;
  grantId?: string | null;
  detail?: Record<string, unknown>;
}
