import { ClientDocumentError, findClient } from '../client-documents.ts';
import { UnredirectableError, repeated, single, unredirectable, type AuthorizationCheck } from './request.ts';

/** The app named by client_id. Until it and its redirect URI are known, errors are never redirected. */
export const checkClient: AuthorizationCheck = {
  name: 'client',
  endpoints: ['authorize', 'par', 'device'],
  parameters: ['client_id'],
  async run(ctx, state) {
    if (repeated(state, 'client_id')) throw new UnredirectableError(unredirectable.client_id_repeated);
    const clientId = single(state, 'client_id');
    if (!clientId) throw new UnredirectableError(unredirectable.client_id_missing);
    let client;
    try {
      // A registered app, or one named by the URL of its metadata document, fetched if need be.
      client = await findClient(ctx, clientId);
    } catch (error) {
      if (error instanceof ClientDocumentError) throw new UnredirectableError(`${unredirectable.client_document} ${error.message}`, 'invalid_client');
      throw error;
    }
    if (!client) throw new UnredirectableError(unredirectable.client_unknown, 'invalid_client');
    state.client = client;
  },
};
