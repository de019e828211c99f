import { ConnectError, ProviderError, type Connect, type ConnectIdentity } from '../connect/index.ts';

// The demo's own call to the provider's API for a signed-in visitor: Grantry's /api/me with the
// token Connect keeps sealed for them. The provider answers 401 once the person has taken the
// app's access back (or the token ran out and could not be refreshed): the token is then useless,
// so it is forgotten here, and the visitor is asked to log in again.

export type ProfileReading =
  | { kind: 'ok'; me: Record<string, unknown> }
  | { kind: 'no-token' }
  | { kind: 'refused' }
  | { kind: 'unreachable'; reason: string };

const timeoutMs = 5000;

export async function readProviderProfile(connect: Connect, issuer: string, identity: ConnectIdentity): Promise<ProfileReading> {
  let accessToken: string;
  try {
    const tokens = await connect.providerTokens(identity);
    if (!tokens) return { kind: 'no-token' };
    accessToken = tokens.accessToken;
  } catch (error) {
    // A refresh the provider turns down (invalid_grant) means the same as a 401 below.
    if (error instanceof ProviderError && error.code === 'invalid_grant') return { kind: 'refused' };
    if (error instanceof ProviderError || error instanceof ConnectError) return { kind: 'unreachable', reason: error.code };
    return { kind: 'unreachable', reason: (error as Error).message };
  }
  let response: Response;
  try {
    response = await fetch(`${issuer.replace(/\/$/, '')}/api/me`, { headers: { authorization: `Bearer ${accessToken}` }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    return { kind: 'unreachable', reason: (error as Error).message };
  }
  if (response.status === 401) return { kind: 'refused' };
  if (!response.ok) return { kind: 'unreachable', reason: `HTTP ${response.status}` };
  const me = (await response.json().catch(() => null)) as unknown;
  if (!me || typeof me !== 'object') return { kind: 'unreachable', reason: 'not JSON' };
  return { kind: 'ok', me: me as Record<string, unknown> };
}

/** The provider no longer accepts the token: forget it, and end the visitor's session here. */
export async function forgetProviderToken(connect: Connect, identity: ConnectIdentity, sessionId: string | undefined): Promise<void> {
  await connect.store.saveIdentityTokens(identity.id, null, null);
  await connect.sessions.end(sessionId);
}
