import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { randomToken, sha256 } from '../lib/crypto.ts';
import type { ConnectUser } from './storage.ts';
import type { ConnectOperations } from './storage.ts';

// The site's own sign-in: a server-side session (random id in an HttpOnly cookie, its hash in the
// store) and, for single-page front ends, short-lived access tokens signed by the site and
// renewed through that session. Nothing here is the provider's.

const now = () => Math.floor(Date.now() / 1000);

export interface SiteSessionOptions {
  store: ConnectOperations;
  /** HS256 key for the site's access tokens. */
  key: Buffer;
  /** The site's origin: issuer and audience of its access tokens. */
  origin: string;
  sessionLifetime: number;
  accessTokenLifetime: number;
}

export class SiteSessions {
  /** The HS256 key, imported once rather than on every sign and verify. */
  private readonly key: KeyObject;

  constructor(private readonly options: SiteSessionOptions) {
    this.key = createSecretKey(options.key);
  }

  get lifetime(): number {
    return this.options.sessionLifetime;
  }

  async start(userId: string): Promise<string> {
    const id = randomToken(32);
    const at = now();
    await this.options.store.createConnectSession({ sessionHash: sha256(id), userId, createdAt: at, expiresAt: at + this.options.sessionLifetime });
    return id;
  }

  async user(id: string | undefined): Promise<ConnectUser | undefined> {
    return id ? this.options.store.findConnectSessionUser(sha256(id)) : undefined;
  }

  async end(id: string | undefined): Promise<void> {
    if (id) await this.options.store.deleteConnectSession(sha256(id));
  }

  async issueAccessToken(user: ConnectUser): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number }> {
    const accessToken = await new SignJWT({ username: user.username })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(this.options.origin)
      .setAudience(this.options.origin)
      .setSubject(user.id)
      .setJti(randomToken(16))
      .setIssuedAt()
      .setExpirationTime(now() + this.options.accessTokenLifetime)
      .sign(this.key);
    return { accessToken, tokenType: 'Bearer', expiresIn: this.options.accessTokenLifetime };
  }

  /** The user id an access token speaks for, or null for anything not issued by this site or expired. */
  async verifyAccessToken(token: string): Promise<string | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.options.origin,
        audience: this.options.origin,
        typ: 'at+jwt',
        requiredClaims: ['sub', 'exp'],
      });
      return payload.sub ?? null;
    } catch {
      return null;
    }
  }
}
