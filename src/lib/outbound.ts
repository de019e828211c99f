import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

// Requests Grantry makes to addresses that someone else chose (an app's back-channel logout URI, a client ID metadata document):
// never to a private, link-local, loopback or otherwise reserved address, checked on the address
// actually connected to, after DNS resolution, so that a name that resolves (or re-resolves) to
// 127.0.0.1 or 169.254.169.254 is refused as the address itself would be. Loopback is allowed only
// when the caller says so: development, where the issuer itself is http on loopback.

export class OutboundRefused extends Error {}
export class OutboundTimeout extends Error {}

export interface OutboundOptions {
  /** Whether loopback addresses may be reached (development only). */
  allowLoopback: boolean;
  timeoutMs: number;
  /** Certificates to trust beyond Node's own, for https (a private PKI; tests on loopback). */
  ca?: string | Buffer | (string | Buffer)[];
  /** The name resolver (dns.lookup's shape); tests give one that answers as a hostile DNS would. */
  resolve?: typeof dnsLookup;
}

/** A response whose body could not be taken: too large, not JSON, or not a 200. */
export class OutboundUnacceptable extends Error {}

export interface OutboundResponse {
  status: number;
}

/** Whether an address may be reached: a public unicast address, or loopback when allowed. */
export function isReachableAddress(address: string, allowLoopback: boolean): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  // ::ffff:127.0.0.1 is 127.0.0.1.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  if (allowLoopback && range === 'loopback') return true;
  // IPv6: global unicast (2000::/3) only; ipaddr.js calls some embedded IPv4 forms (::7f00:1) unicast too.
  if (parsed.kind() === 'ipv6') return range === 'unicast' && parsed.match(globalUnicast);
  return range === 'unicast';
}

const globalUnicast = ipaddr.parseCIDR('2000::/3');

function guardedLookup(allowLoopback: boolean, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      // Every address the name has must be allowed: otherwise a name with one public and one private address could be made to pick the private one.
      const refused = addresses.find((entry) => !isReachableAddress(entry.address, allowLoopback));
      if (refused || addresses.length === 0) {
        return callback(new OutboundRefused(`${hostname} resolves to ${refused?.address ?? 'nothing'}, which Grantry does not call`), '', 0);
      }
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** The URL, once its scheme and (when it is a literal address) its address are ones Grantry calls. */
function checkedTarget(url: string, options: OutboundOptions): URL {
  const target = new URL(url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new OutboundRefused(`${target.protocol} is not a scheme Grantry calls`);
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  // A literal address is never looked up, so it is checked here.
  if (isIP(literal) && !isReachableAddress(literal, options.allowLoopback)) throw new OutboundRefused(`${literal} is not an address Grantry calls`);
  return target;
}

/**
 * POSTs a form to `url` and reads the status; the body is not read beyond what is needed. Redirects
 * are not followed. Throws OutboundRefused when the address is not one Grantry calls, and the
 * socket's error (or a timeout) when the request fails.
 */
export async function postForm(url: string, form: Record<string, string>, options: OutboundOptions): Promise<OutboundResponse> {
  const target = checkedTarget(url, options);
  const body = new URLSearchParams(form).toString();
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      {
        method: 'POST',
        lookup: guardedLookup(options.allowLoopback, options.resolve),
        ...(options.ca ? { ca: options.ca } : {}),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'user-agent': 'Grantry' },
      },
      (response) => {
        clearTimeout(deadline);
        // Only the status counts: the body is not read, so a body that trickles in holds nothing open.
        resolve({ status: response.statusCode ?? 0 });
        response.destroy();
      },
    );
    // The whole exchange, lookup and connection included, within the time given.
    const deadline = setTimeout(() => request.destroy(new OutboundTimeout(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    request.on('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    request.end(body);
  });
}

export interface FetchedJson {
  /** The parsed body. */
  body: unknown;
  /** The response's headers, lower-case names (for its caching headers). */
  headers: Record<string, string | string[] | undefined>;
}

/**
 * GETs a JSON document from `url`: a 200 with a JSON media type (application/json or
 * application/…+json), at most `maxBytes` of body, the whole exchange within the timeout. A
 * redirect is not followed but refused, like every other status (a document that moved could
 * move onto an address Grantry does not call). Throws OutboundRefused for an address Grantry does
 * not call, OutboundUnacceptable for a response it does not take, OutboundTimeout, or the socket's error.
 */
export async function fetchJson(url: string, options: OutboundOptions & { maxBytes: number }): Promise<FetchedJson> {
  const target = checkedTarget(url, options);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      request.destroy();
      reject(error);
    };
    const request = send(
      target,
      {
        method: 'GET',
        lookup: guardedLookup(options.allowLoopback, options.resolve),
        ...(options.ca ? { ca: options.ca } : {}),
        headers: { accept: 'application/json', 'user-agent': 'Grantry' },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status !== 200) return fail(new OutboundUnacceptable(`answered ${status}${status >= 300 && status < 400 ? ' (a redirect, which Grantry does not follow)' : ''}, not 200`));
        const type = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
          return fail(new OutboundUnacceptable(`answered with ${type || 'no content type'}, not JSON`));
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBytes) return fail(new OutboundUnacceptable(`is ${declared} bytes, more than the ${options.maxBytes} read`));
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) return fail(new OutboundUnacceptable(`is more than the ${options.maxBytes} bytes read`));
          chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('end', () => {
          if (settled) return;
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            return fail(new OutboundUnacceptable('is not well-formed JSON'));
          }
          settled = true;
          clearTimeout(deadline);
          resolve({ body, headers: response.headers });
        });
      },
    );
    // The whole exchange — lookup, connection, headers and every byte of the body — within the time given.
    const deadline = setTimeout(() => fail(new OutboundTimeout(`no whole answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    request.on('error', fail);
    request.end();
  });
}
