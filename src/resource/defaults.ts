// grantry/resource's defaults, in one place. They live here rather than in src/config/defaults.ts
// because grantry/resource is a separate entry point, installed by APIs that run no provider: it
// must not import the provider's configuration (docs/architecture.md).

export const resourceDefaults = {
  /** Seconds of clock difference forgiven on exp and nbf. */
  clockToleranceSeconds: 5,
  /** The algorithms a JWT may be signed with; none and HMAC are refused whatever the options say. */
  algorithms: ['EdDSA', 'ES256', 'RS256'],
  /** The least time between two fetches of an issuer's keys: a flood of made-up kids costs one fetch. */
  jwksRefetchFloorSeconds: 30,
  /** How long an issuer's keys are kept before they are fetched again anyway. */
  jwksCacheSeconds: 600,
  /** How long the issuer's metadata, keys and introspection answers may take to come. */
  fetchTimeoutMs: 5_000,
  /** How long a failed read of the issuer's metadata is remembered before it is tried again. */
  metadataFailureMemoryMs: 5_000,
  /**
   * How long an active introspection answer is reused (RFC 7662 §4: a cache trades revocation's
   * reach for fewer calls): a revoked opaque token is still accepted here for at most this long.
   * Never beyond the token's exp.
   */
  introspectionCacheSeconds: 30,
  /** How many verified tokens (JWTs, and introspection answers) are remembered; the oldest goes first. */
  verifiedCacheEntries: 10_000,
  /**
   * The longest opaque token sent to the introspection endpoint: anything longer is refused
   * without a call (Grantry's are 43 characters).
   */
  opaqueTokenMaxLength: 4_096,
} as const;
