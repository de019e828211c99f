import { randomToken, sha256 } from '../../src/lib/crypto.ts';
import type { User } from '../../src/store/index.ts';
import type { TestBrowser } from './browser.ts';
import type { RunningProvider } from './provider.ts';

/** Signs a user in on a test browser by writing the session directly, without the login page. */
export async function signIn(provider: RunningProvider, browser: TestBrowser, user: User, options: { secondsAgo?: number } = {}): Promise<void> {
  const id = randomToken(32);
  const at = Math.floor(Date.now() / 1000) - (options.secondsAgo ?? 0);
  await provider.store.sessions.create({ sessionHash: sha256(id), userId: user.id, createdAt: at, expiresAt: at + 3600 });
  browser.cookies.set('grantry_session', id);
}
