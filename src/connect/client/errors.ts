/** The provider said no: an OAuth error, a WeChat errcode, a Weibo error_code, a QQ ret. */
export class ProviderError extends Error {
  constructor(
    readonly code: string,
    readonly description: string | undefined,
    readonly status: number,
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
