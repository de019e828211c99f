// grantry/resource in an Express route: the same route, answering the same fixed body, with no
// check and behind `protectedResource(...).express()` verifying an EdDSA JWT access token (RFC
// 9068) whose issuer's keys were fetched once and are cached. The issuer is a bare node:http server
// in this process serving only its metadata and JWKS: after the first request nothing reaches it,
// so what the difference measures is the library's work per request. One token is sent again and
// again, as a client does: after its first use its signature is not checked again (the verified
// token is remembered until its exp).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import { protectedResource } from '../../src/resource/index.ts';
import { bearer, benchAccessToken, type RunningTarget } from './types.ts';

const answer = JSON.stringify({ access_token: 'x'.repeat(200), token_type: 'Bearer', expires_in: 3600 });

export async function startExpressResource(): Promise<RunningTarget> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'EdDSA', use: 'sig' }] });
  const issuerServer = createServer((request, response) => {
    if (request.url === '/.well-known/oauth-authorization-server') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (request.url === '/jwks') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    } else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => issuerServer.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;

  const app = express();
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resource = `${url}/api`;
  const api = protectedResource({ resource, authorizationServers: [issuer] });
  const send = (_request: express.Request, response: express.Response) => {
    response.type('application/json').send(answer);
  };
  app.get('/open/data', send);
  app.get('/api/data', api.express({ scopes: ['data:read'] }), send);

  const token = await benchAccessToken(privateKey, issuer, resource);

  return {
    url,
    scenarios: ['express-open', 'express-resource'],
    async prepare(scenario) {
      if (scenario === 'express-open') return { method: 'GET', path: '/open/data', headers: {} };
      if (scenario === 'express-resource') return { method: 'GET', path: '/api/data', headers: bearer(token) };
      throw new Error(`express-resource does not run ${scenario}`);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => issuerServer.close(() => resolve()));
    },
  };
}
