import type { FastifyInstance } from 'fastify';
import type { ProviderContext } from '../context.ts';
import { authenticateConfidentialClient, triedAuthorizationHeader } from '../protocol/client-auth.ts';
import { isOAuthError } from '../protocol/errors.ts';
import { introspectToken } from '../protocol/introspection.ts';
import { sendNoStore, sendOAuthError } from './reply.ts';
import { formParams } from './token.ts';

/** RFC 7662: POST /oauth2/introspect, for confidential apps only (resource servers register as `service`). */
export async function introspectRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  app.post('/oauth2/introspect', async (request, reply) => {
    const authorization = request.headers.authorization;
    try {
      const params = formParams(request);
      const { client } = await authenticateConfidentialClient(ctx, { authorization, params });
      return sendNoStore(reply, await introspectToken(ctx, client, params));
    } catch (error) {
      if (!isOAuthError(error)) throw error;
      return sendOAuthError(reply, error, { basicAuthUsed: triedAuthorizationHeader(authorization) });
    }
  });
}
