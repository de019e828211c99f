import { ConnectError, ProviderError } from './errors.ts';
import type { Provider } from './types.ts';

export type CallbackParams = Record<string, string | undefined>;

/**
 * RFC 9207: when the provider names itself in the callback, it must be the provider this login
 * was started with; a provider that always names itself must not be silent. Checked first,
 * before an error response is believed, as the RFC says.
 */
export function checkIssuer(provider: Provider, params: CallbackParams): void {
  const iss = params.iss;
  if (iss === undefined) {
    if (provider.issInCallback) throw new ConnectError('missing_issuer', `${provider.id} always sends iss, and this callback has none`);
    return;
  }
  // A provider whose issuer we were not told cannot be checked; binding each state to its provider
  // (../binding/) is then the defence against mix-up.
  if (provider.issuer && iss !== provider.issuer) {
    throw new ConnectError('issuer_mismatch', `the callback comes from "${iss}", not from ${provider.id}`);
  }
}

/** The error the provider sent back instead of a code (the person said no, or worse). */
export function checkCallbackError(params: CallbackParams): void {
  if (params.error) throw new ProviderError(params.error, params.error_description, 400);
}

export function requireCode(params: CallbackParams): string {
  if (!params.code) throw new ConnectError('missing_code', 'the callback has no code');
  return params.code;
}

/** Everything a callback must pass before its code is worth exchanging. The state is checked by the caller, which holds it. */
export function validateCallback(provider: Provider, params: CallbackParams): string {
  checkIssuer(provider, params);
  checkCallbackError(params);
  return requireCode(params);
}
