import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderContext } from '../context.ts';
import { triedAuthorizationHeader } from '../protocol/client-auth.ts';
import { invalidRequest, isOAuthError } from '../protocol/errors.ts';
import { handleTokenRequest } from '../protocol/token.ts';
import { singleParams, tokenParams } from './params.ts';
import { sendNoStore, sendOAuthError } from './reply.ts';

/**
 * RFC 6749 §3.2: POST /oauth2/token, also answering at /oauth2/access_token, the path that clients
 * written for Weibo post to.
 */
export async function tokenRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    // Browser apps (spa) call the token endpoint with fetch; no cookie is involved, so any origin may read the answer.
    reply.header('access-control-allow-origin', '*');
    const authorization = request.headers.authorization;
    try {
      const params = tokenRequestParams(request);
      const tokens = await handleTokenRequest(ctx, { authorization, params, info: { address: request.ip } });
      return sendNoStore(reply, tokens);
    } catch (error) {
      if (!isOAuthError(error)) throw error;
      return sendOAuthError(reply, error, { basicAuthUsed: triedAuthorizationHeader(authorization) });
    }
  };
  app.post('/oauth2/token', handler);
  app.post('/oauth2/access_token', handler);
}

/** RFC 6749 §3.2: the parameters come as a form body. */
function formBody(request: FastifyRequest): unknown {
  const contentType = request.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    throw invalidRequest('the request body must be application/x-www-form-urlencoded');
  }
  return request.body;
}

/** A token request's parameters; which may repeat is the grant's to say (../protocol/token.ts). */
function tokenRequestParams(request: FastifyRequest): Record<string, string | string[]> {
  return tokenParams(formBody(request));
}

/** The parameters of the revocation and introspection endpoints, each at most once (RFC 7009 §2.1, RFC 7662 §2.1). */
export function formParams(request: FastifyRequest): Record<string, string> {
  return singleParams(formBody(request));
}
