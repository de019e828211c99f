import type { Migration } from 'kysely';
import * as provider from './001-provider.ts';
import * as connect from './002-connect.ts';
import * as ticketReturnTo from './003-ticket-return-to.ts';
import * as audit from './004-audit.ts';
import * as clientTokens from './005-client-tokens.ts';
import * as auditCount from './006-audit-count.ts';
import * as accessTokenGrantIndex from './007-access-token-grant-index.ts';
import * as requestsAndContext from './008-requests-and-context.ts';
import * as usernameKeysAndBuckets from './009-username-keys-and-buckets.ts';
import * as consentBinding from './010-consent-binding.ts';
import * as clientSettings from './011-client-settings.ts';
import * as logoutDeliveriesAndValues from './012-logout-deliveries-and-values.ts';
import * as userClaims from './013-user-claims.ts';
import * as resources from './014-resources.ts';
import * as clientOrigins from './015-client-origins.ts';
import * as resourceTokenFormat from './016-resource-token-format.ts';

/**
 * Every migration of the provider's database, in order. A released migration is never edited (add
 * a new one); 002 and 003 are the one exception, emptied when Connect's tables moved to Connect's own
 * migrations (see 002-connect.ts).
 */
export const migrations: Record<string, Migration> = {
  '001-provider': provider,
  '002-connect': connect,
  '003-ticket-return-to': ticketReturnTo,
  '004-audit': audit,
  '005-client-tokens': clientTokens,
  '006-audit-count': auditCount,
  '007-access-token-grant-index': accessTokenGrantIndex,
  '008-requests-and-context': requestsAndContext,
  '009-username-keys-and-buckets': usernameKeysAndBuckets,
  '010-consent-binding': consentBinding,
  '011-client-settings': clientSettings,
  '012-logout-deliveries-and-values': logoutDeliveriesAndValues,
  '013-user-claims': userClaims,
  '014-resources': resources,
  '015-client-origins': clientOrigins,
  '016-resource-token-format': resourceTokenFormat,
};
