import { randomBytes } from 'node:crypto';
import { randomToken, sha256 } from '../../lib/crypto.ts';
import type { InitialAccessToken } from '../../provider/storage.ts';
import { print } from '../output.ts';
import { UsageError, type CommonFlags } from '../settings.ts';
import { withStore } from './with-store.ts';

// grantry registration token create|list|revoke: the initial access tokens that let an app register
// itself while registration.mode is "token" (RFC 7591 §3). A token is printed once, when it is made;
// only its SHA-256 is stored, and an operator knows it afterwards by its id.

export const registrationTokenOptions = {
  uses: { type: 'string' },
  'expires-in': { type: 'string' },
} as const;

type TokenFlags = CommonFlags & { uses?: string; 'expires-in'?: string; json?: boolean };

function wholeNumber(flag: string, value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new UsageError(`--${flag} is a whole number, at least 1`);
  return Number(value);
}

function describeToken(token: InitialAccessToken) {
  return {
    id: token.id,
    uses_left: token.usesLeft,
    expires_at: token.expiresAt === null ? null : new Date(token.expiresAt * 1000).toISOString(),
    created_at: new Date(token.createdAt * 1000).toISOString(),
  };
}

/** grantry registration token create [--uses N] [--expires-in SECONDS] */
export async function registrationTokenCreate(flags: TokenFlags): Promise<void> {
  const uses = wholeNumber('uses', flags.uses);
  const expiresIn = wholeNumber('expires-in', flags['expires-in']);
  await withStore(flags, async ({ store, config }) => {
    const now = Math.floor(Date.now() / 1000);
    const token = randomToken(32);
    const record: InitialAccessToken = { id: randomBytes(8).toString('hex'), tokenHash: sha256(token), usesLeft: uses, expiresAt: expiresIn === null ? null : now + expiresIn, createdAt: now };
    await store.initialAccessTokens.create(record);
    const limits = [uses === null ? 'any number of registrations' : `${uses} registration${uses === 1 ? '' : 's'}`, expiresIn === null ? 'no expiry' : `until ${new Date(record.expiresAt! * 1000).toISOString()}`];
    const warning = config.registration.mode === 'token' ? [] : [`Note: registration.mode is "${config.registration.mode}"; the token counts only while it is "token" (GRANTRY_REGISTRATION__MODE=token).`];
    print(flags.json, { ...describeToken(record), token }, [
      `Initial access token ${record.id} (${limits.join(', ')}). It is shown this once:`,
      '',
      `  ${token}`,
      '',
      `An app registers with it as Authorization: Bearer <token> at ${config.issuer}/oauth2/register.`,
      ...warning,
    ]);
  });
}

/** grantry registration token list */
export async function registrationTokenList(flags: TokenFlags): Promise<void> {
  await withStore(flags, async ({ store }) => {
    const tokens = await store.initialAccessTokens.list();
    print(
      flags.json,
      { tokens: tokens.map(describeToken) },
      tokens.length === 0
        ? ['No initial access tokens.']
        : tokens.map((token) => `${token.id}  uses left: ${token.usesLeft ?? 'unlimited'}  expires: ${token.expiresAt === null ? 'never' : new Date(token.expiresAt * 1000).toISOString()}`),
    );
  });
}

/** grantry registration token revoke ID */
export async function registrationTokenRevoke(id: string | undefined, flags: TokenFlags): Promise<void> {
  if (!id) throw new UsageError('registration token revoke needs the token id (grantry registration token list shows them)');
  await withStore(flags, async ({ store }) => {
    if (!(await store.initialAccessTokens.revoke(id))) throw new UsageError(`no initial access token has the id ${id}`);
    print(flags.json, { id, revoked: true }, [`Revoked initial access token ${id}: it lets no further app register.`]);
  });
}
