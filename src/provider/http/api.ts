import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderContext } from '../context.ts';
import { insufficientScope, invalidToken, type OAuthError } from '../protocol/errors.ts';
import { authorizeResourceRequest, isBearerError, MissingBearerToken } from '../protocol/resource.ts';
import { subjectOf } from '../protocol/subject.ts';

// The resource API. Tokens come in the Authorization header only; errors are RFC 6750 §3
// challenges in WWW-Authenticate, with the same words in a JSON body for humans reading the response.

const realm = 'grantry';
/** The scope /api/me needs: `email` alone shows the address, not who the user is. */
const meScope = 'profile';

export async function apiRoutes(app: FastifyInstance, { ctx }: { ctx: ProviderContext }): Promise<void> {
  // Browser apps call the API cross-origin with an Authorization header, which needs a preflight.
  app.options('/api/me', async (_request, reply) => {
    return reply
      .code(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'GET')
      .header('access-control-allow-headers', 'authorization')
      .header('access-control-max-age', '600')
      .send();
  });

  /** The user a token speaks for; `email` only with the email scope. */
  app.get('/api/me', async (request, reply) => {
    reply.header('access-control-allow-origin', '*').header('cache-control', 'no-store');
    try {
      const access = await authorizeResourceRequest(ctx, {
        authorization: request.headers.authorization,
        tokenElsewhere: tokenOutsideHeader(request),
        requiredScope: meScope,
      });
      const user = access.user;
      // The token is good, it just cannot reach this resource: 403, not a 401 that would send the app refreshing in a loop.
      if (!user) return sendBearerError(reply, insufficientScope('this token was issued to an app acting for itself; /api/me speaks of a user'));
      // uid is the ID token's sub: a pairwise app gets its own name for the person here too. A JWT
      // carries it; an opaque token's app is read (from the per-process cache, clientCacheSeconds).
      const uid = access.claims?.sub ?? (await appSubject(ctx, access.clientId, user.id));
      if (uid === undefined) return sendBearerError(reply, invalidToken('the app this token was issued to no longer exists'));
      const body: Record<string, string | null> = { uid, username: user.username, display_name: user.displayName };
      if (access.scope.includes('email')) body.email = user.email;
      return body;
    } catch (error) {
      if (!isBearerError(error)) throw error;
      return sendBearerError(reply, error);
    }
  });
}

async function appSubject(ctx: ProviderContext, clientId: string, userId: string): Promise<string | undefined> {
  const client = await ctx.store.clients.findCached(clientId, ctx.config.clientCacheSeconds);
  return client && subjectOf(ctx, client, userId);
}

function tokenOutsideHeader(request: FastifyRequest): boolean {
  const query = request.query as Record<string, unknown> | undefined;
  const body = request.body as Record<string, unknown> | undefined;
  return (query !== undefined && query !== null && 'access_token' in query) || (typeof body === 'object' && body !== null && 'access_token' in body);
}

/** RFC 6750 §3: the challenge in WWW-Authenticate, and the same words in a JSON body; `scope` is what an insufficient_scope error names. */
export function sendBearerError(reply: FastifyReply, error: OAuthError | MissingBearerToken, scope = meScope): FastifyReply {
  if (error instanceof MissingBearerToken) {
    return reply.code(401).header('www-authenticate', `Bearer realm="${realm}"`).send({ error_description: 'an access token is required, in the Authorization header' });
  }
  const parts = [`realm="${realm}"`, `error="${error.code}"`, `error_description="${quoted(error.description)}"`];
  if (error.code === 'insufficient_scope') parts.push(`scope="${scope}"`);
  return reply.code(error.status).header('www-authenticate', `Bearer ${parts.join(', ')}`).send(error.toJSON());
}

/** RFC 6750 §3: error_description is limited to printable ASCII without `"` and `\`. */
function quoted(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, "'");
}
