import type { GrantryConfig } from '../../../config/config.ts';
import { authorizationCodeGrant } from './authorization-code.ts';
import { clientCredentialsGrant } from './client-credentials.ts';
import type { GrantModule } from './grant.ts';
import { implicitGrant } from './implicit.ts';
import { passwordGrant } from './password.ts';
import { refreshTokenGrant } from './refresh-token.ts';
import { normalizeResponseType } from './response-types.ts';

export type { GrantModule } from './grant.ts';

/** Every grant Grantry knows, each one module. A new grant is one module here and one switch in defaults.features. */
export const grantModules: readonly GrantModule[] = [authorizationCodeGrant, refreshTokenGrant, clientCredentialsGrant, passwordGrant, implicitGrant];

const byType = new Map(grantModules.map((grant) => [grant.grantType, grant]));

/** The grants switched on in this configuration. */
export function enabledGrants(config: Pick<GrantryConfig, 'features'>): GrantModule[] {
  return grantModules.filter((grant) => config.features[grant.feature]);
}

/** The grant with this grant_type, if it exists and is switched on. */
export function findGrant(config: Pick<GrantryConfig, 'features'>, grantType: string, options: { includeDisabled?: boolean } = {}): GrantModule | undefined {
  const grant = byType.get(grantType);
  return grant && (options.includeDisabled || config.features[grant.feature]) ? grant : undefined;
}

/** The grant that answers this response_type at the authorization endpoint, if it is switched on. */
export function grantForResponseType(config: Pick<GrantryConfig, 'features'>, responseType: string, options: { includeDisabled?: boolean } = {}): GrantModule | undefined {
  const wanted = normalizeResponseType(responseType);
  const grant = grantModules.find((candidate) => candidate.authorization?.responseTypes.includes(wanted));
  return grant && (options.includeDisabled || config.features[grant.feature]) ? grant : undefined;
}
