/**
 * Where a browser's page request should go instead, when it reached this server under another
 * name on the same port — http://127.0.0.1:3000 for a provider whose issuer is
 * http://localhost:3000 — so that its cookies, forms and the origin checks of its forms all speak
 * of one site. Undefined when the request is already at `origin`, is not a page load (another
 * method, or not asking for HTML: API clients and health checks are left alone), or came on
 * another port (then it reached this process some other way: a balancer, a direct probe).
 */
export function canonicalLocation(
  origin: string,
  request: { method: string; host: string | undefined; url: string; accept: string | undefined; protocol: 'http' | 'https' },
): string | undefined {
  if ((request.method !== 'GET' && request.method !== 'HEAD') || !request.host || !/\btext\/html\b/.test(request.accept ?? '')) return undefined;
  const canonical = new URL(origin);
  let arrived: URL;
  try {
    arrived = new URL(`${request.protocol}://${request.host}`);
  } catch {
    return undefined;
  }
  if (arrived.host === canonical.host) return undefined;
  const port = (url: URL) => url.port || (url.protocol === 'https:' ? '443' : '80');
  if (port(arrived) !== port(canonical)) return undefined;
  // Only the path and query are kept: `url` is a request target, never an absolute URL of another site.
  return `${canonical.origin}${request.url.startsWith('/') ? request.url : '/'}`;
}
