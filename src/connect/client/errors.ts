/** The provider said no: an OAuth error, a WeChat errcode, a Weibo error_code, a QQ ret. */
export class ProviderError extends Error {
  constructor(
    readonly code: string,
    readonly description: string | undefined,
    readonly status: number,
    /**
     * The URL that answered, without its query (WeChat's token request carries the app secret
     * and the code there): what a site's log names, so that its developer sees which call failed.
     */
    readonly endpoint?: string,
  ) {
    super(description ? `${code}: ${description}` : code);
    this.name = 'ProviderError';
  }
}

/**
 * A response or callback that fails one of our own checks (state, issuer, nonce, a missing
 * field). Its message is safe to log; it is not meant for the person logging in.
 */
export class ConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

/**
 * An option of createConnect or of a preset that cannot work, refused when it is given rather than
 * at the first login. The message is one line naming the option; it never holds a secret's value.
 */
export class ConnectOptionError extends Error {
  constructor(
    /** The option, as a site writes it: `secret`, `providers[1]`, `weibo().clientSecret`. */
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectOptionError';
  }
}
