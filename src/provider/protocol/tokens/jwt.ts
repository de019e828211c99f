import { sign } from 'node:crypto';
import type { LoadedKey } from './keys.ts';

// Signing the JWTs Grantry writes itself (access tokens, ID tokens) with node:crypto directly
// rather than through jose: jose signs through WebCrypto, whose trip to the thread pool made each
// token cost about 160 µs here against 50 µs for the same Ed25519 signature made synchronously
// (see docs/benchmarks.md). What is signed is Grantry's own header and claims, so there is nothing
// to parse; verification, which reads untrusted input, stays with jose.

const base64urlJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

// A header is the same for every token of one type that a key signs: encoded once per key and type.
const encodedHeaders = new Map<string, string>();
function encodedHeader(key: LoadedKey, typ: string): string {
  const cacheKey = `${typ} ${key.kid}`;
  let header = encodedHeaders.get(cacheKey);
  if (header === undefined) {
    header = base64urlJson({ alg: key.alg, typ, kid: key.kid });
    if (encodedHeaders.size > 100) encodedHeaders.clear();
    encodedHeaders.set(cacheKey, header);
  }
  return header;
}

/**
 * A compact JWS of `claims` with `key` (its own algorithm: EdDSA, or RS256 with SHA-256 and
 * PKCS#1 v1.5); `typ` says what kind of token it is (RFC 8725 §3.11).
 */
export function signJwt(key: LoadedKey, typ: string, claims: object): string {
  const signingInput = `${encodedHeader(key, typ)}.${base64urlJson(claims)}`;
  const digest = key.alg === 'RS256' ? 'sha256' : null;
  return `${signingInput}.${sign(digest, Buffer.from(signingInput), key.privateKey!).toString('base64url')}`;
}
