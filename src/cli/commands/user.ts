import { ConflictError } from '../../store/index.ts';
import { hashPassword } from '../../provider/accounts/authenticate.ts';
import { print } from '../output.ts';
import { UsageError, type CommonFlags } from '../settings.ts';
import { withStore } from './with-store.ts';
import { isUsernameSyntax } from '../../lib/username.ts';
import { personClaimNames } from '../../provider/protocol/claims.ts';
import type { UserClaims } from '../../provider/storage.ts';

export const userOptions = {
  username: { type: 'string' },
  password: { type: 'string' },
  email: { type: 'string' },
  'display-name': { type: 'string' },
} as const;

type UserFlags = CommonFlags & { username?: string; password?: string; email?: string; 'display-name'?: string; json?: boolean };

/** grantry user create --username U --password P [--email E] [--display-name N] */
export async function userCreate(flags: UserFlags): Promise<void> {
  if (!flags.username) throw new UsageError('user create needs --username');
  if (!isUsernameSyntax(flags.username)) throw new UsageError('a username is 3 to 32 letters, digits, "_", "." or "-"');
  if (!flags.password) throw new UsageError('user create needs --password');
  if (flags.password.length < 8) throw new UsageError('the password must be at least 8 characters long');
  await withStore(flags, async ({ store, config }) => {
    try {
      const user = await store.users.create({
        username: flags.username!,
        passwordHash: await hashPassword(config, flags.password!),
        displayName: flags['display-name'] ?? flags.username!,
        email: flags.email ?? null,
      });
      print(flags.json, { uid: user.id, username: user.username, display_name: user.displayName, email: user.email }, [
        `Created user ${user.username} (uid ${user.id}).`,
      ]);
    } catch (error) {
      if (error instanceof ConflictError) throw new UsageError(error.message);
      throw error;
    }
  });
}

export const userClaimsOptions = {
  set: { type: 'string', multiple: true },
  unset: { type: 'string', multiple: true },
} as const;

type UserClaimsFlags = CommonFlags & { set?: string[]; unset?: string[]; json?: boolean };

/** The claims a record's own fields answer: set with user create, not here. */
const ownFieldClaims = ['name', 'preferred_username', 'email', 'email_verified'];
const addressParts = ['formatted', 'street_address', 'locality', 'region', 'postal_code', 'country'];

/**
 * grantry user claims USERNAME [--set NAME=VALUE]… [--unset NAME]…: what UserInfo and ID tokens may
 * say of the person beyond name and email (OpenID Connect Core §5.1), by the scope that reveals
 * each (profile, address, phone). `address.locality=…` sets one part of the address; the *_verified
 * claims take true or false. Prints the claims as they then are.
 */
export async function userClaims(username: string | undefined, flags: UserClaimsFlags): Promise<void> {
  if (!username) throw new UsageError('user claims needs the username: grantry user claims USERNAME [--set NAME=VALUE]… [--unset NAME]…');
  await withStore(flags, async ({ store }) => {
    const user = await store.users.findByUsername(username);
    if (!user) throw new UsageError(`no user is named ${username}`);
    const claims: UserClaims = structuredClone(user.claims ?? {});
    for (const name of flags.unset ?? []) {
      const [top, part] = name.split('.', 2) as [string, string | undefined];
      if (part !== undefined && top === 'address' && typeof claims.address === 'object') delete (claims.address as Record<string, string>)[part];
      else delete claims[name];
    }
    for (const assignment of flags.set ?? []) {
      const equals = assignment.indexOf('=');
      if (equals < 1) throw new UsageError(`--set takes NAME=VALUE, not "${assignment}"`);
      setClaim(claims, assignment.slice(0, equals), assignment.slice(equals + 1));
    }
    if (claims.address && typeof claims.address === 'object' && Object.keys(claims.address).length === 0) delete claims.address;
    if (flags.set || flags.unset) await store.users.updateClaims(user.id, claims);
    print(flags.json, { uid: user.id, username: user.username, claims }, [
      `Claims of ${user.username} (uid ${user.id}):`,
      ...(Object.keys(claims).length === 0 ? ['  (none beyond name and email)'] : Object.entries(claims).map(([name, value]) => `  ${name}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)),
    ]);
  });
}

function setClaim(claims: UserClaims, name: string, value: string): void {
  if (name.startsWith('address.')) {
    const part = name.slice('address.'.length);
    if (!addressParts.includes(part)) throw new UsageError(`an address has the parts ${addressParts.join(', ')}; not "${part}"`);
    const address = typeof claims.address === 'object' ? claims.address : {};
    address[part] = value;
    claims.address = address;
    return;
  }
  if (ownFieldClaims.includes(name)) throw new UsageError(`${name} comes from the user's own record (its display name, username or email), not from claims`);
  if (name === 'address') throw new UsageError('set the address by its parts: --set address.locality=…, address.country=…');
  if (!personClaimNames.includes(name)) throw new UsageError(`"${name}" is not a claim Grantry states; known: ${personClaimNames.filter((known) => !ownFieldClaims.includes(known)).join(', ')}`);
  if (name === 'updated_at') {
    // Core §5.1: a JSON number, seconds since the epoch.
    if (!/^\d{1,12}$/.test(value)) throw new UsageError('updated_at is a time in seconds since the epoch (a number)');
    claims[name] = Number(value);
    return;
  }
  if (name.endsWith('_verified')) {
    if (value !== 'true' && value !== 'false') throw new UsageError(`${name} is true or false`);
    claims[name] = value === 'true';
    return;
  }
  claims[name] = value;
}
