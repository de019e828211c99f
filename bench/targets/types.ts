// What every benchmark target offers the harness: where it listens, and how to prepare the
// material of a scenario (credentials, tokens, codes minted beforehand) outside the measured load.
import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

export type ScenarioId =
  | 'fixed'
  | 'cc-jwt'
  | 'cc-opaque'
  | 'code'
  | 'code-openid-eddsa'
  | 'code-openid-rs256'
  | 'refresh'
  | 'introspect-jwt'
  | 'introspect-opaque'
  | 'me-jwt'
  | 'me-opaque'
  | 'express-open'
  | 'express-resource';

/** The requests of one scenario, as the load generator will send them. */
export interface Material {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** The same body on every request. */
  body?: string;
  /** Bodies used once each (authorization codes): the run lasts as long as the list. */
  bodies?: string[];
  /** Tokens taken from a pool into `template` at `{token}`; each answer's `field` goes back into the pool (refresh rotation). */
  pool?: { template: string; tokens: string[]; field: string };
}

export interface RunningTarget {
  url: string;
  scenarios: ScenarioId[];
  /** `count` is how many single-use items (codes) the scenario needs, where it needs any. */
  prepare(scenario: ScenarioId, count: number): Promise<Material>;
  close(): Promise<void>;
}

export const form = { 'content-type': 'application/x-www-form-urlencoded' };

export function basic(id: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** A PKCE pair shared by every minted code of a run: the verifier's secrecy is not what is measured. */
export const pkce = {
  verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
  challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
};

export const redirectUri = 'http://127.0.0.1:1/callback';

/** An RFC 9068 access token as grantry/resource's benchmarks send it: EdDSA, one day long, scope data:read. */
export function benchAccessToken(privateKey: CryptoKey | KeyObject, issuer: string, resource: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: 'bench-client', scope: 'data:read' })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'bench' })
    .setIssuer(issuer).setAudience(resource).setSubject('bench-user').setJti('bench-token')
    .setIssuedAt(now).setExpirationTime(now + 86_400)
    .sign(privateKey);
}
