import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { isReachableAddress, OutboundRefused, postForm } from '../../src/lib/outbound.ts';

// The guard on requests to addresses someone else chose (back-channel logout URIs): private,
// link-local, loopback and reserved addresses are refused on the address connected to, after DNS
// resolution; loopback only when the caller allows it (development). A local server counts every
// connection made to it, so a refusal is shown to send nothing.

describe('outbound requests to addresses someone else chose', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  let lastBody = '';

  before(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        lastBody = body;
        response.writeHead(204).end();
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('which addresses are reachable', () => {
    const cases: [string, boolean, boolean][] = [
      // address, reachable without loopback, reachable with loopback allowed
      ['93.184.215.14', true, true],
      ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', true, true],
      ['127.0.0.1', false, true],
      ['127.1.2.3', false, true],
      ['::1', false, true],
      ['::ffff:127.0.0.1', false, true],
      ['10.0.0.1', false, false],
      ['172.16.5.4', false, false],
      ['192.168.1.1', false, false],
      ['169.254.169.254', false, false],
      ['100.64.0.1', false, false],
      ['0.0.0.0', false, false],
      ['224.0.0.1', false, false],
      ['255.255.255.255', false, false],
      ['fc00::1', false, false],
      ['fe80::1', false, false],
      ['::ffff:10.0.0.1', false, false],
      ['::', false, false],
      ['::7f00:1', false, false],
      ['64:ff9b::a00:1', false, false],
      ['2002:a00:1::', false, false],
      ['not an address', false, false],
    ];
    for (const [address, publicOnly, withLoopback] of cases) {
      assert.equal(isReachableAddress(address, false), publicOnly, `${address} without loopback`);
      assert.equal(isReachableAddress(address, true), withLoopback, `${address} with loopback allowed`);
    }
  });

  test('loopback, by address or by a name that resolves to it, is refused before any connection unless allowed', async () => {
    const before = connections;
    for (const url of [`http://127.0.0.1:${port}/logout`, `http://localhost:${port}/logout`, `http://[::1]:${port}/logout`, `http://[::ffff:127.0.0.1]:${port}/logout`]) {
      await assert.rejects(postForm(url, { logout_token: 'x' }, { allowLoopback: false, timeoutMs: 2000 }), OutboundRefused, `${url} is refused`);
    }
    for (const url of ['http://10.0.0.1/logout', 'http://169.254.169.254/latest/meta-data', 'https://192.168.0.1/']) {
      await assert.rejects(postForm(url, { logout_token: 'x' }, { allowLoopback: true, timeoutMs: 2000 }), OutboundRefused, `${url} is refused even in development`);
    }
    await assert.rejects(postForm('file:///etc/passwd', {}, { allowLoopback: true, timeoutMs: 2000 }), OutboundRefused, 'only http and https');
    assert.equal(connections, before, 'no connection was made to the local server');
  });

  test('allowed: the form is POSTed and the status read; redirects are not followed', async () => {
    const answer = await postForm(`http://localhost:${port}/logout`, { logout_token: 'a.b.c' }, { allowLoopback: true, timeoutMs: 2000 });
    assert.equal(answer.status, 204, 'the status of the answer');
    assert.equal(lastBody, 'logout_token=a.b.c', 'the form, as sent');
  });

  test('an endpoint that does not answer is given up after the timeout', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      await assert.rejects(postForm(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, {}, { allowLoopback: true, timeoutMs: 200 }), /no answer within 200 ms/, 'a timeout error');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
