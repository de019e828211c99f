// Every default Grantry has, in one place. Durations are in seconds unless the name says otherwise.
// Anything here can be overridden through `GrantryConfig` (see ./config.ts); the README's
// configuration table is written from this file.

export const defaults = {
  port: 3000,
  host: '127.0.0.1',
  /** Where the embedded store lives when no database URL is given. */
  databaseUrl: 'sqlite:./data/grantry.sqlite',
  /** Where a fresh local install keeps its generated GRANTRY_SECRET. */
  secretFile: './data/secret',
  minimumSecretLength: 32,
  /** Where `grantry start --demo` (npm start) runs the demo website (--demo-port, GRANTRY_DEMO_PORT). */
  demoPort: 4000,

  lifetimes: {
    authorizationCode: 60,
    accessToken: 3600,
    /** Tokens handed out in a URL fragment are the easiest to leak; keep them short. */
    implicitAccessToken: 900,
    /** An ID token says who logged in, and when: the app reads it once, at login (OpenID Connect). */
    idToken: 3600,
    /** A refresh token unused for this long is dead. */
    refreshTokenIdle: 14 * 24 * 3600,
    /** However often it is used, a grant's refresh tokens end this long after the user allowed it. */
    refreshTokenAbsolute: 90 * 24 * 3600,
    /** A rotated refresh token presented again within this window gets fresh tokens, not a revocation. */
    refreshTokenReuseGrace: 0,
    session: 14 * 24 * 3600,
    /** A retired signing key stays published this much longer than the longest access token. */
    retiredKeyMargin: 300,
    /** A new signing key is published this long before it signs, so that JWKS caches pick it up first. */
    signingKeyPublishBeforeUse: 300,
    /** How often a running provider reads the signing keys again (to see a rotation made by the CLI). */
    signingKeyReload: 30,
  },

  login: {
    /** Failures (per account and per address) before each further attempt is slowed down. */
    slowAfterFailures: 3,
    /** The first delay; it doubles with each further failure up to maxDelayMs. */
    baseDelayMs: 250,
    maxDelayMs: 2000,
    /** Failures within the window after which attempts are refused outright. */
    lockAfterFailures: 10,
    windowSeconds: 15 * 60,
    lockSeconds: 15 * 60,
    /**
     * Failed logins one address may make per windowSeconds, over every account: a bucket that
     * drains that many per window, that no success refills faster, and that refuses while full.
     */
    addressFailures: 10,
    /** Accounts that may be created from one address per signupWindowSeconds (each costs an Argon2 hash). */
    signupsPerAddress: 5,
    signupWindowSeconds: 60 * 60,
    /**
     * How recent a sign-in must be for the console changes that could send an app's codes and
     * tokens somewhere new: a redirect URI added, the secret rotated, the implicit grant turned on,
     * PKCE turned off. A stolen session cookie alone cannot make them.
     */
    reauthenticationSeconds: 10 * 60,
  },

  /** The scopes every provider has. An operator adds more in configuration. */
  scopes: {
    /** Turns a request into an OpenID Connect one: an ID token comes with the access token. */
    openid: 'Log you in to the app with your account',
    profile: 'See your user id, username, display name and the profile details on record',
    email: 'See your email address',
    address: 'See your postal address',
    phone: 'See your phone number',
    /** OpenID Connect Core §11: keep access while the person is away (refresh tokens, which Grantry's apps with the refresh grant get anyway). */
    offline_access: 'Keep access to what you allow while you are not using the app',
  } as Record<string, string>,
  /** What a request with no `scope` parameter gets. */
  defaultScope: 'profile',

  /**
   * How long an app's record is kept in each process's memory, in seconds (0: not at all). A change
   * made on another instance may go unseen for this long; see src/store/client-cache.ts.
   */
  clientCacheSeconds: 5,

  /** Argon2id parameters for user passwords (the OWASP recommendation for Argon2id). */
  argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },

  /** The audit trail (src/provider/audit.ts): events wait in memory and are written in one INSERT per batch. */
  audit: {
    /** The longest an event waits before its batch is written. */
    flushIntervalMs: 1000,
    /** A batch this large is written at once. */
    batchSize: 200,
    /** Events older than this are purged by the housekeeping job. */
    retentionDays: 90,
  },

  /**
   * PostgreSQL connections each process may open. N instances open up to N × this (plus one per
   * CLI command): keep that under the server's max_connections, or put a pooler in front.
   */
  databasePoolSize: 10,
  /**
   * How long a request may take to arrive: its headers, and the whole of it with its body. A
   * client that sends slower (a slow-loris attack trickling a body) gets 408 and its connection
   * closed, instead of holding it open for as long as it likes.
   */
  http: {
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
  },
  /** How long GET /readyz waits for the store before it answers 503. */
  readyTimeoutMs: 2000,
  /** On SIGTERM, requests in flight get this long to be answered before their connections are cut. */
  shutdownTimeoutMs: 25_000,
  /** While draining, connections that have gone idle are closed this often (see src/cli/commands/start.ts). */
  shutdownIdleSweepMs: 50,
  /**
   * The bearer token that GET /metrics asks for. Without one, /metrics answers requests from a
   * loopback address only.
   */
  metricsToken: null as string | null,
  /**
   * Whether to believe X-Forwarded-For/-Proto/-Host: false (the default; nothing in front), true
   * (every hop is trusted), or a comma-separated list of the proxies' addresses or CIDR ranges.
   */
  trustProxy: false as boolean | string,
  /** Pino's level for the JSON request log that `grantry start` writes (GRANTRY_LOG). */
  logLevel: 'silent' as 'silent' | 'fatal' | 'error' | 'warn' | 'info' | 'debug',
  /** The purge of expired rows (src/provider/housekeeping.ts) that every instance runs. */
  housekeeping: {
    /** How often; 0 switches it off on this instance. */
    intervalSeconds: 300,
    /** Rows per DELETE, so that no purge holds locks for long. */
    batchSize: 1000,
    /** At most this many DELETEs per table and pass; the next pass goes on where this one stopped. */
    maxBatches: 100,
    /**
     * Authorization codes and refresh tokens are kept this long past their expiry, so that a replay
     * soon after still revokes its grant instead of meeting an unknown value.
     */
    expiredGraceSeconds: 24 * 3600,
  },

  /**
   * Back-channel logout (OpenID Connect Back-Channel Logout 1.0; src/provider/backchannel-logout.ts):
   * logout tokens POSTed to apps, from a stored queue every instance works through.
   */
  backchannelLogout: {
    /** How often an instance looks for deliveries due; a logout also wakes it at once. 0: never on this instance. */
    pollSeconds: 5,
    /** How long one delivery may take; the logout page never waits for it. */
    timeoutSeconds: 5,
    /** Tries before a delivery is given up (and the audit trail says so). */
    maxAttempts: 8,
    /** The wait after the first failure; it doubles each time, up to maxBackoffSeconds. */
    firstBackoffSeconds: 30,
    maxBackoffSeconds: 3600,
    /** The lifetime of a logout token (§2.4: short; the app only has to read it on arrival). */
    tokenLifetimeSeconds: 120,
  },

  /**
   * Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document; the MCP
   * authorization specification's way for a client to be known without registering): a client_id
   * that is an https URL is the address of the app's own metadata, which the provider fetches
   * (src/provider/protocol/client-documents.ts) through the SSRF guard of src/lib/outbound.ts.
   */
  clientIdMetadataDocuments: {
    /** On: any MCP client can be used with no one registering it; the consent page says it is not registered. */
    enabled: true,
    /** Hosts whose documents are accepted (`example.com`, or `*.example.com` for its subdomains); empty: every host. */
    allowedHosts: [] as string[],
    /**
     * Development only: document URLs on http://localhost:* and http://127.0.0.1:* (and loopback
     * addresses at all) are accepted. Refused at start when the issuer is https.
     */
    allowInsecureLoopback: false,
    /** What is read of a document before it is refused as too large (the draft recommends 5 KB). */
    maxBytes: 5120,
    /** The whole fetch, connection and body, within this time; a slow document is refused. */
    timeoutMs: 5000,
    /** A fetched document is kept as its Cache-Control or Expires says, within these bounds (seconds). */
    minCacheSeconds: 60,
    maxCacheSeconds: 24 * 3600,
    /** …and this long when its response says nothing of caching. */
    defaultCacheSeconds: 300,
    /**
     * Documents one process fetches at once; more are refused until one ends. Requests for the same
     * URL share one fetch. Anyone can name a URL, so this bounds what a flood of them can hold open.
     */
    maxConcurrentFetches: 16,
  },

  /**
   * Dynamic client registration (RFC 7591, and RFC 7592 to read, change and delete what was
   * registered; src/provider/protocol/registration.ts): apps registering themselves at
   * POST /oauth2/register, as MCP clients and other tools that meet a provider for the first time do.
   */
  registration: {
    /**
     * 'off': no endpoint (404, and none in the metadata), since every registration is a row anyone
     * could add; 'open': anyone may register; 'token': only with an initial access token an
     * operator made (`grantry registration token create`).
     */
    mode: 'off' as 'off' | 'open' | 'token',
    /**
     * A self-registered app that has obtained no token for this many days (counted from its
     * registration if it never did) is deleted by the housekeeping pass: registrations that are
     * tried once and abandoned would otherwise pile up for ever. 0: never.
     */
    unusedClientDays: 30,
    /** Registrations one address may make per windowSeconds, in a bucket that drains: enough for a person's tools, not for a script filling the table. */
    perAddress: 10,
    windowSeconds: 3600,
    /** The largest registration request (bytes). Real client metadata is well under 4 KiB; the rest of the server allows 64 KiB. */
    maxBodyBytes: 16 * 1024,
  },

  /** The web console (/console). */
  console: {
    /**
     * The usernames of the provider's operators: they get /console/operator, which lists the apps
     * that registered themselves (no person owns them) and the registered APIs. None by default.
     */
    operators: [] as string[],
  },

  /**
   * Protocol features, each switched on or off for the whole provider. A grant that is off is
   * refused where it would start (unsupported_grant_type at the token endpoint,
   * unsupported_response_type at the authorization endpoint), left out of the metadata, and
   * cannot be given to an app. Each grant module (src/provider/protocol/grants/) names its switch.
   */
  features: {
    /** RFC 6749 §4.1 with PKCE: how every app that signs people in gets its tokens. */
    authorizationCode: true,
    /** RFC 6749 §6, rotated on every use. */
    refreshToken: true,
    /** RFC 6749 §4.4: an app acting for itself. */
    clientCredentials: true,
    /** RFC 6749 §4.3, for apps an operator marks trusted; RFC 9700 §2.4 says not to use it. */
    password: true,
    /** RFC 6749 §4.2, for spa apps that allow it; RFC 9700 §2.1.2 says not to use it. */
    implicit: true,
    /** `uid` beside the tokens, as Weibo answers, for clients written against it (the seed's flow). */
    uidInTokenResponse: true,
  },

  /** How long an authorization request waits for its person to log in and decide. */
  authorizationRequestLifetime: 30 * 60,

  cookies: {
    session: 'grantry_session',
    csrf: 'grantry_csrf',
    /** A random id per browser, to which pending authorization requests are bound. */
    browser: 'grantry_browser',
    /** A new App Secret, sealed, on its way from the form that made it to the page that shows it once. */
    newSecret: 'grantry_new_secret',
  },
  /** How long a new App Secret waits in its cookie for the page that shows it (seconds). */
  newSecretCarrySeconds: 120,
} as const;

export type AppType = 'web' | 'spa' | 'native' | 'service';
export const appTypes: readonly AppType[] = ['web', 'spa', 'native', 'service'];

/** Confidential apps can keep a secret (a server); public apps cannot (a browser or a device). */
export const confidentialAppTypes: readonly AppType[] = ['web', 'service'];

/**
 * A grant an app may hold: the grant_type of a registered grant module (src/provider/protocol/grants/),
 * or `implicit`, which the authorization endpoint answers alone.
 */
export type GrantType = string;

export type FeatureName = keyof (typeof defaults)['features'];

/** The grants an app of each type gets when its owner names none. */
export const defaultGrantTypes: Record<AppType, GrantType[]> = {
  web: ['authorization_code', 'refresh_token'],
  spa: ['authorization_code', 'refresh_token'],
  native: ['authorization_code', 'refresh_token'],
  service: ['client_credentials'],
};

export type TokenFormat = 'jwt' | 'opaque';
