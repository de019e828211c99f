import { ConflictError } from '../../store/index.ts';
import { hashPassword } from '../../provider/accounts/authenticate.ts';
import { print } from '../output.ts';
import { UsageError, type CommonFlags } from '../settings.ts';
import { withStore } from './with-store.ts';
import { isUsernameSyntax } from '../../lib/username.ts';

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
