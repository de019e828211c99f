import type { FastifyInstance } from 'fastify';
import type { ProviderContext } from '../context.ts';
import { authenticateClient, triedAuthorizationHeader } from '../protocol/client-auth.ts';
import { isOAuthError } from '../protocol/errors.ts';
import { revokeToken } from '../protocol/revocation.ts';
import { sendNoStore, sendOAuthError } from './reply.ts';
import { formParams } from './token.ts';

/** RFC 7009: POST /oauth2/revoke. Public apps authenticate by client_id, as at the token endpoint. */
export async function revokeRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  app.post('/oauth2/revoke', async (request, reply) => {
    reply.header('access-control-allow-origin', '*');
    const authorization = request.headers.authorization;
    try {
      const params = formParams(request);
      const { client } = await authenticateClient(ctx, { authorization, params });
      await revokeToken(ctx, client, params);
      return sendNoStore(reply, {});
    } catch (error) {
      if (!isOAuthError(error)) throw error;
      return sendOAuthError(reply, error, { basicAuthUsed: triedAuthorizationHeader(authorization) });
    }
  });
}
