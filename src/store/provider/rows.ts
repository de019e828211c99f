import type { Selectable } from 'kysely';
import type { AppType, GrantType, TokenFormat } from '../../config/defaults.ts';
import type { IssuanceFacts } from '../../provider/protocol/issuance/context.ts';
import type { AuthorizationCode, Client, ClientOrigin, Grant, PublicUser, RefreshToken, User, UserClaims } from '../../provider/storage.ts';
import { usernameKey } from '../../lib/username.ts';
import type { ClientsTable, Database, GrantsTable, RefreshTokensTable, UsersTable } from '../schema.ts';

// Rows to records and back: camelCase, lists as arrays, flags as booleans, facts as JSON. How the
// records are laid out in SQL is the store's business alone (../schema.ts).

export const now = () => Math.floor(Date.now() / 1000);

export function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function splitList(value: string): string[] {
  return value.split(' ').filter(Boolean);
}

const noFacts: IssuanceFacts = Object.freeze({});

/** An issuance context's facts as a column: JSON, or null when there are none (most app tokens). */
export function factsColumn(facts: IssuanceFacts): string | null {
  for (const _ in facts) return JSON.stringify(facts);
  return null;
}

/** Reads what factsColumn wrote; a row from before facts existed has none. */
export function readFacts(text: string | null | undefined): IssuanceFacts {
  if (!text) return noFacts;
  const parsed = JSON.parse(text) as unknown;
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as IssuanceFacts) : noFacts;
}

export function userRow(user: User): UsersTable {
  return {
    id: user.id,
    username: user.username,
    username_key: usernameKey(user.username),
    password_hash: user.passwordHash,
    display_name: user.displayName,
    email: user.email,
    created_at: user.createdAt,
    claims: writeClaims(user.claims),
  };
}

/** The claims column: JSON, or null for none. */
export function writeClaims(claims: UserClaims | undefined): string | null {
  return claims && Object.keys(claims).length > 0 ? JSON.stringify(claims) : null;
}

function readClaims(text: string | null | undefined): { claims?: UserClaims } {
  if (!text) return {};
  const parsed = JSON.parse(text) as unknown;
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { claims: parsed as UserClaims } : {};
}

export function toUser(row: Omit<Selectable<UsersTable>, 'username_key'> & { username_key?: string | null }): User {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    displayName: row.display_name,
    email: row.email,
    createdAt: row.created_at,
    ...readClaims(row.claims),
    ...(row.username_key === null ? { collidedUsername: true as const } : {}),
  };
}

export function clientRow(client: Client): ClientsTable {
  return {
    id: client.id,
    owner_id: client.ownerId,
    name: client.name,
    description: client.description,
    homepage: client.homepage,
    app_type: client.appType,
    secret_hash: client.secretHash,
    redirect_uris: JSON.stringify(client.redirectUris),
    scopes: client.scopes.join(' '),
    grant_types: client.grantTypes.join(' '),
    pkce_required: client.pkceRequired ? 1 : 0,
    trusted: client.trusted ? 1 : 0,
    token_format: client.tokenFormat,
    created_at: client.createdAt,
    updated_at: client.updatedAt,
    silent_returning: client.silentReturning ? 1 : 0,
    settings: JSON.stringify(Object.fromEntries(settingNames.map((name) => [name, client[name]]).filter(([, value]) => value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0)))),
    origin: client.origin ?? 'console',
    registration_token_hash: client.registrationTokenHash ?? null,
    last_used_at: client.lastUsedAt ?? null,
    document_expires_at: client.documentExpiresAt ?? null,
  };
}

export function toClient(row: Selectable<ClientsTable>): Client {
  return {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    description: row.description,
    homepage: row.homepage,
    appType: row.app_type as AppType,
    secretHash: row.secret_hash,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    scopes: splitList(row.scopes),
    grantTypes: splitList(row.grant_types) as GrantType[],
    pkceRequired: Boolean(row.pkce_required),
    trusted: Boolean(row.trusted),
    tokenFormat: row.token_format as TokenFormat,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    silentReturning: Boolean(row.silent_returning),
    ...clientSettings(row.settings),
    ...(row.origin && row.origin !== 'console' ? { origin: row.origin as ClientOrigin } : {}),
    ...(row.registration_token_hash ? { registrationTokenHash: row.registration_token_hash } : {}),
    ...(row.last_used_at !== null && row.last_used_at !== undefined ? { lastUsedAt: row.last_used_at } : {}),
    ...(row.document_expires_at !== null && row.document_expires_at !== undefined ? { documentExpiresAt: row.document_expires_at } : {}),
  };
}

type ClientSettings = Pick<Client, 'idTokenSignedResponseAlg' | 'postLogoutRedirectUris' | 'subjectType' | 'sectorIdentifier' | 'backchannelLogoutUri'>;

/** Each setting the JSON column may hold, with what a well-formed value is: a new setting is one line here and a field of Client. */
const settingChecks: { [K in keyof Required<ClientSettings>]: (value: unknown) => boolean } = {
  idTokenSignedResponseAlg: (value) => value === 'RS256' || value === 'EdDSA',
  postLogoutRedirectUris: (value) => Array.isArray(value) && value.every((uri) => typeof uri === 'string'),
  subjectType: (value) => value === 'public' || value === 'pairwise',
  sectorIdentifier: (value) => typeof value === 'string',
  backchannelLogoutUri: (value) => typeof value === 'string',
};
const settingNames = Object.keys(settingChecks) as (keyof ClientSettings)[];

/** The settings column's JSON, keeping only the settings Grantry knows, each well-formed. */
function clientSettings(settings: string | undefined): ClientSettings {
  const parsed = settings ? (JSON.parse(settings) as Record<string, unknown>) : {};
  return Object.fromEntries(settingNames.filter((name) => settingChecks[name](parsed[name])).map((name) => [name, parsed[name]])) as ClientSettings;
}

export function toGrant(row: Selectable<GrantsTable>): Grant {
  return {
    id: row.id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
    context: readFacts(row.context),
  };
}

export function toCode(row: Selectable<Database['authorization_codes']>): AuthorizationCode {
  return {
    codeHash: row.code_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    redirectUri: row.redirect_uri,
    scope: row.scope,
    codeChallenge: row.code_challenge,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
    context: readFacts(row.context),
  };
}

export function toRefresh(row: Selectable<RefreshTokensTable>): RefreshToken {
  return {
    tokenHash: row.token_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    rotatedAt: row.rotated_at,
  };
}

/** The user's columns that a grant or token read joins in (see joinedUser). */
export const joinedUserColumns = ['users.username', 'users.display_name', 'users.email', 'users.created_at as user_created_at', 'users.claims as user_claims'] as const;

/**
 * The user columns of a left join onto users (null when the grant has no user or the user is
 * gone). The password hash is left out: nothing on a token's path needs it.
 */
export function joinedUser(
  userId: string | null,
  row: { username: string | null; display_name: string | null; email: string | null; user_created_at: number | null; user_claims: string | null },
): PublicUser | null {
  if (!userId || row.username === null) return null;
  return {
    id: userId,
    username: row.username,
    displayName: row.display_name!,
    email: row.email ?? null,
    createdAt: row.user_created_at!,
    ...readClaims(row.user_claims),
  };
}
