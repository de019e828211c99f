import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Connect } from '../connect.ts';
import { handleConnectRequest } from './core.ts';
import { flattenHeaders, readBody, splitUrl } from './http.ts';

type Next = (error?: unknown) => void;

/**
 * Connect's routes in an Express app: `app.use(connectExpress(connect))`. Written against Node's
 * own request and response, so it needs neither Express's types nor its body parsers.
 */
export function connectExpress(connect: Connect) {
  const prefixes = [connect.options.basePath, connect.options.apiPath].map((prefix) => `${prefix}/`);
  return async (request: IncomingMessage & { body?: unknown; originalUrl?: string; ip?: string }, response: ServerResponse, next: Next): Promise<void> => {
    try {
      const { path, query } = splitUrl(request.originalUrl ?? request.url ?? '/');
      if (!prefixes.some((prefix) => path.startsWith(prefix))) return next();
      const headers = flattenHeaders(request.headers);
      // An app that mounted express.json() or express.urlencoded() has already read the stream.
      const body =
        request.body && typeof request.body === 'object'
          ? (request.body as Record<string, unknown>)
          : request.method === 'POST' ? await readBody(request, headers['content-type']) : undefined;
      // Express's req.ip follows its trust proxy setting; without Express, the socket's address.
      const address = request.ip ?? request.socket.remoteAddress;
      const answer = await handleConnectRequest(connect, { method: request.method ?? 'GET', path, query, body, headers, ...(address ? { address } : {}) });
      if (!answer) return next();
      response.statusCode = answer.status;
      for (const [name, value] of Object.entries(answer.headers)) response.setHeader(name, value);
      if (answer.cookies.length > 0) response.setHeader('set-cookie', answer.cookies);
      response.end(answer.body);
    } catch (error) {
      next(error);
    }
  };
}
