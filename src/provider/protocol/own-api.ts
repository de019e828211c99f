import { protectedResource, type ProtectedResource } from '../../resource/index.ts';
import type { ProviderContext } from '../context.ts';
import { findVerificationKey } from './tokens/access-token.ts';
import { signingAlgorithm, type LoadedKey } from './tokens/keys.ts';

// The provider's own API (/api/me, UserInfo) is a protected resource like any other: its JWTs are
// verified by grantry/resource, the package's own verifier, handed the key ring so that nothing is
// fetched. One instance per provider, made at its first request (the issuer is settled by then:
// `grantry start` and the tests learn it once the port is known) and made again only if the issuer
// changes. What the library cannot know — whether the grant still stands — ./resource.ts reads after.

interface OwnApi {
  issuer: string;
  resource: ProtectedResource;
}

const instances = new WeakMap<ProviderContext, OwnApi>();

/** The grantry/resource instance that verifies the JWTs of the provider's own API. */
export function ownApiResource(ctx: ProviderContext): ProtectedResource {
  const issuer = ctx.config.issuer;
  const existing = instances.get(ctx);
  if (existing !== undefined && existing.issuer === issuer) return existing.resource;
  const resource = protectedResource({
    // Tokens asked for no registered API carry the issuer as their audience (tokens/access-token.ts).
    resource: issuer,
    authorizationServers: [issuer],
    // Only what signs access tokens: the ring's RS256 keys sign ID tokens alone.
    algorithms: [signingAlgorithm],
    keys: (kid) => ringKey(ctx, kid),
    // The issuer and this API share one clock (or NTP's milliseconds between instances): the
    // tolerance a remote API needs would only lengthen every token's life here. An opaque token
    // and introspection end at exp exactly too.
    clockTolerance: 0,
    fetch: () => Promise.reject(new Error('the provider hands its keys over: its own API fetches nothing')),
  });
  instances.set(ctx, { issuer, resource });
  return resource;
}

/**
 * The public key of `kid`, if it signs access tokens: synchronous for a key the ring holds (every
 * request but the first after a rotation elsewhere); an unknown kid reloads the ring, at most once
 * per interval (tokens/access-token.ts findVerificationKey), so made-up kids cost no reads.
 */
function ringKey(ctx: ProviderContext, kid: string | undefined): CryptoKey | undefined | Promise<CryptoKey | undefined> {
  if (kid === undefined) return undefined;
  const known = ctx.keys.verificationKey(kid);
  if (known !== undefined) return accessTokenKey(known);
  return findVerificationKey(ctx.keys, kid).then((found) => found && accessTokenKey(found));
}

/** A key of another algorithm (the RS256 that signs ID tokens) is not one access tokens are checked with. */
function accessTokenKey(key: LoadedKey): CryptoKey | undefined {
  return key.alg === signingAlgorithm ? key.publicKey : undefined;
}
