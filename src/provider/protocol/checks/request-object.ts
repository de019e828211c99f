import { OAuthError } from '../errors.ts';
import { type AuthorizationCheck } from './request.ts';

/**
 * `request` and `request_uri` (OpenID Connect Core §6, RFC 9101): Grantry takes no request
 * objects yet, and says so (§6.1, §6.2: request_not_supported, request_uri_not_supported) rather
 * than dropping them and answering a request the app did not make. Pushed requests (RFC 9126)
 * will bring request_uri.
 */
export const checkRequestObject: AuthorizationCheck = {
  name: 'request_object',
  endpoints: ['authorize', 'par'],
  parameters: [],
  run(_ctx, state) {
    if (state.params.request !== undefined) throw new OAuthError('request_not_supported', 'request objects are not supported');
    if (state.params.request_uri !== undefined) throw new OAuthError('request_uri_not_supported', 'request_uri is not supported');
  },
};
