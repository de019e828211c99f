// One benchmark target per process, so that the load generator and the server do not share a
// thread: `node --import tsx bench/target.ts <name>` prints its URL (and, for Grantry, the
// credentials and a token) as one JSON line on stdout.
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { makeConfig } from '../src/config/config.ts';
import { createProviderContext } from '../src/provider/context.ts';
import { buildProviderServer } from '../src/provider/http/server.ts';
import { registerClient } from '../src/provider/protocol/clients.ts';
import { openStore } from '../src/store/index.ts';

const name = process.argv[process.argv.length - 1];
const answer = JSON.stringify({ access_token: 'x'.repeat(200), token_type: 'Bearer', expires_in: 3600 });

async function main(): Promise<void> {
  if (name === 'node') {
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
    server.listen(0, '127.0.0.1', () => report({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
    return;
  }
  if (name === 'oidc-provider') {
    // The peer, in the same run: oidc-provider 8 with its in-memory store and opaque tokens
    // (its defaults), an EdDSA key, and one client for client_credentials.
    // @ts-expect-error oidc-provider ships no type declarations
    const { default: Provider } = await import('oidc-provider');
    const { generateKeyPair, exportJWK } = await import('jose');
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const secret = 's'.repeat(43);
    const provider = new Provider('http://127.0.0.1', {
      clients: ['bench', 'bench-opaque'].map((id) => ({
        client_id: id, client_secret: secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], id_token_signed_response_alg: 'EdDSA',
      })),
      features: {
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        devInteractions: { enabled: false },
        // A resource server whose tokens are EdDSA JWTs for one client and opaque for the other.
        resourceIndicators: {
          enabled: true,
          defaultResource: () => 'urn:grantry:bench',
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, _resource: string, client: { clientId: string }) => ({
            scope: 'api',
            accessTokenTTL: 3600,
            ...(client.clientId === 'bench' ? { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'EdDSA' } } } : { accessTokenFormat: 'opaque' }),
          }),
        },
      },
      jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'bench', alg: 'EdDSA' }] },
      ttl: { ClientCredentials: 3600 },
    });
    const server = provider.listen(0, '127.0.0.1', () =>
      report({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, clientId: 'bench', clientSecret: secret, opaqueClientId: 'bench-opaque', opaqueClientSecret: secret }),
    );
    return;
  }
  if (name === 'fastify') {
    const app = Fastify();
    app.all('/*', async () => answer);
    report({ url: await app.listen({ port: 0, host: '127.0.0.1' }) });
    return;
  }
  const databaseUrl = name === 'grantry-postgres'
    ? (process.env.GRANTRY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
    : `sqlite:${join(mkdtempSync(join(tmpdir(), 'grantry-bench-')), 'grantry.sqlite')}`;
  const schema = name === 'grantry-postgres' ? `grantry_bench_${process.pid}` : undefined;
  const store = await openStore(databaseUrl, { schema });
  const config = makeConfig({ secret: 'bench-secret-0123456789abcdef0123456789', port: 0, databaseUrl });
  const ctx = await createProviderContext(config, store);
  const app = await buildProviderServer(ctx);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  Object.assign(ctx.config, { issuer: url });
  const service = await registerClient(store, config, { name: 'bench', appType: 'service' });
  const opaque = await registerClient(store, config, { name: 'bench-opaque', appType: 'service', tokenFormat: 'opaque' });
  report({ url, clientId: service.client.id, clientSecret: service.clientSecret, opaqueClientId: opaque.client.id, opaqueClientSecret: opaque.clientSecret, schema });
}

function report(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

await main();
