import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { canonicalLocation } from '../../src/lib/canonical-host.ts';
import { startDemoFor, type RunningDemo } from '../helpers/demo.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { sqliteKind } from '../helpers/stores.ts';

// A newcomer opens http://127.0.0.1:4000 where the demo printed http://localhost:4000 (or the
// provider's pages under the other name): its cookies and the origin its forms post from would
// belong to another site, and logging in failed with "This form was sent from another site". Page
// loads under another name of the same host and port now go to the site's own origin.

const html = 'text/html,application/xhtml+xml';

/** A request as a browser sends it to an address, naming the host it was typed as. */
function get(address: string, path: string, headers: Record<string, string>): Promise<{ status: number; location: string | undefined }> {
  const url = new URL(address);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('pages under another name of the same host', () => {
  let provider: RunningProvider;
  let demo: RunningDemo;
  before(async () => {
    provider = await startProvider(sqliteKind);
    demo = await startDemoFor({ ...provider, issuer: provider.url });
  });
  after(async () => {
    await demo.site.close();
    await provider.close();
  });

  test('the demo site sends a page opened at 127.0.0.1 to its own origin, localhost, path and query kept', async () => {
    const port = new URL(demo.siteUrl).port;
    const reply = await get(demo.base, '/account?tab=1', { host: `127.0.0.1:${port}`, accept: html });
    assert.equal(reply.status, 308, 'a page load under the other name is redirected (308)');
    assert.equal(reply.location, `${demo.siteUrl}/account?tab=1`, "to the same path at the site's own origin");
    const there = await get(demo.base, '/', { host: `localhost:${port}`, accept: html });
    assert.equal(there.status, 200, 'the page at the site\'s own name is served');
  });

  test("the provider sends a page opened under another name to the issuer's origin; API calls and other ports are left alone", async () => {
    const issuer = new URL(provider.url);
    const other = `localhost:${issuer.port}`;
    const page = await get(provider.url, '/login?return_to=%2Fconsole', { host: other, accept: html });
    assert.equal(page.status, 308, 'the login page under another name is redirected (308)');
    assert.equal(page.location, `${provider.url}/login?return_to=%2Fconsole`, "to the issuer's origin, path and query kept");
    const api = await get(provider.url, '/.well-known/oauth-authorization-server', { host: other, accept: 'application/json' });
    assert.equal(api.status, 200, 'a client that does not ask for a page is answered where it is');
    const probe = await get(provider.url, '/healthz', { host: '10.0.0.5:3000', accept: html });
    assert.equal(probe.status, 200, 'a request for another port (a balancer, a probe) is answered where it is');
  });

  test('canonicalLocation: only page loads, only on the same port, never to another site', () => {
    const at = (host: string, extra: Partial<Parameters<typeof canonicalLocation>[1]> = {}) =>
      canonicalLocation('http://localhost:4000', { method: 'GET', host, url: '/x', accept: html, protocol: 'http', ...extra });
    assert.equal(at('127.0.0.1:4000'), 'http://localhost:4000/x', '127.0.0.1 on the same port goes to localhost');
    assert.equal(at('[::1]:4000'), 'http://localhost:4000/x', '[::1] on the same port goes to localhost');
    assert.equal(at('localhost:4000'), undefined, 'the canonical host stays');
    assert.equal(at('127.0.0.1:5000'), undefined, 'another port stays');
    assert.equal(at('127.0.0.1:4000', { method: 'POST' }), undefined, 'a form post stays');
    assert.equal(at('127.0.0.1:4000', { accept: 'application/json' }), undefined, 'an API call stays');
    assert.equal(
      new URL(at('127.0.0.1:4000', { url: '//evil.example/x' })!).origin,
      'http://localhost:4000',
      'a request target that looks like another host stays a path on the canonical origin, never a redirect elsewhere',
    );
    assert.equal(at('127.0.0.1:4000', { url: '*' }), 'http://localhost:4000/', 'a request target that is not a path leads home');
    assert.equal(at('bad host:4000'), undefined, 'a Host that is not a host is left to the routes');
    assert.equal(canonicalLocation('https://id.example.com', { method: 'GET', host: 'www.id.example.com', url: '/', accept: html, protocol: 'https' }), 'https://id.example.com/', 'on the default port too');
  });
});
