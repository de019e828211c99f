import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '../../src/lib/crypto.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth, countStatements, makeCode, postForm, redirectUri } from './token-fixtures.ts';

for (const kind of storeKinds) {
  describe(`token endpoint on ${kind.name}`, () => {
    let provider: RunningProvider;
    before(async () => (provider = await startProvider(kind)));
    after(() => provider.close());

    const serviceApp = async () => {
      const { client, clientSecret } = await provider.registerClient({ appType: 'service' });
      return { client, secret: clientSecret! };
    };

    function assertOAuthError(reply: { status: number; headers: Headers; body: any }, status: number, error: string) {
      assert.equal(reply.status, status, JSON.stringify(reply.body));
      assert.equal(reply.body.error, error, `the error is ${error}: ${JSON.stringify(reply.body)}`);
      assert.equal(typeof reply.body.error_description, 'string', `an error_description comes with the error: ${JSON.stringify(reply.body)}`);
      assert.deepEqual(
        Object.keys(reply.body).sort(),
        ['error', 'error_description'],
        `the error body has error and error_description only: ${JSON.stringify(reply.body)}`,
      );
      assert.equal(reply.headers.get('cache-control'), 'no-store', 'an error from the token endpoint is not cached');
    }

    describe('request shape', () => {
      test('a missing grant_type is invalid_request', async () => {
        const { client, secret } = await serviceApp();
        assertOAuthError(await postForm(provider, '/oauth2/token', {}, basicAuth(client.id, secret)), 400, 'invalid_request');
      });

      test('an unknown grant_type is unsupported_grant_type, at both paths', async () => {
        const { client, secret } = await serviceApp();
        for (const path of ['/oauth2/token', '/oauth2/access_token']) {
          assertOAuthError(await postForm(provider, path, { grant_type: 'urn:example:magic' }, basicAuth(client.id, secret)), 400, 'unsupported_grant_type');
        }
        // The implicit grant has no token request.
        assertOAuthError(await postForm(provider, '/oauth2/token', { grant_type: 'implicit' }, basicAuth(client.id, secret)), 400, 'unsupported_grant_type');
      });

      test('a repeated parameter is invalid_request', async () => {
        const { client, secret } = await serviceApp();
        const response = await fetch(`${provider.url}/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...basicAuth(client.id, secret) },
          body: 'grant_type=client_credentials&scope=profile&scope=email',
        });
        assert.equal(response.status, 400, 'a repeated parameter is refused with 400');
        assert.equal((await response.json()).error, 'invalid_request', 'a repeated parameter is invalid_request');
      });

      test('a body that is not a form is invalid_request', async () => {
        const { client, secret } = await serviceApp();
        const response = await fetch(`${provider.url}/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...basicAuth(client.id, secret) },
          body: JSON.stringify({ grant_type: 'client_credentials' }),
        });
        assert.equal(response.status, 400, 'a JSON body is refused with 400');
        assert.equal((await response.json()).error, 'invalid_request', 'a body that is not a form is invalid_request');
      });

      test('a grant the app did not register for is unauthorized_client', async () => {
        const { client, secret } = await serviceApp();
        assertOAuthError(
          await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', code: 'x', redirect_uri: redirectUri }, basicAuth(client.id, secret)),
          400,
          'unauthorized_client',
        );
        assertOAuthError(await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: 'x' }, basicAuth(client.id, secret)), 400, 'unauthorized_client');
      });

      test('bad input never gives a 5xx', async () => {
        const { client, secret } = await serviceApp();
        const bodies = [
          '', '=', '&&&', 'grant_type', 'grant_type=%', 'grant_type=%E0%A4%A', 'grant_type=authorization_code&code=%00',
          'grant_type=refresh_token&refresh_token=a.b.c', 'grant_type=password&username=&password=',
          `grant_type=client_credentials&scope=${'x'.repeat(5000)}`, 'grant_type=client_credentials&scope=%22bad%22',
          'grant_type[]=x', 'grant_type[a]=b', 'client_id[]=a&client_id[]=b',
        ];
        const headerSets: Record<string, string>[] = [
          {}, basicAuth(client.id, secret), { authorization: 'Basic !!!' }, { authorization: 'Basic Og==' },
          { authorization: `Basic ${Buffer.from('%zz:%zz').toString('base64')}` }, { authorization: 'Bearer abc' }, { authorization: 'Basic' },
        ];
        for (const body of bodies) {
          for (const headers of headerSets) {
            const response = await fetch(`${provider.url}/oauth2/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
              body,
            });
            assert.ok(response.status < 500, `${body} ${JSON.stringify(headers)} → ${response.status}`);
            const json = await response.json();
            if (response.status !== 200) assert.equal(
              typeof json.error,
              'string',
              `an error answer carries an error code: ${body} ${JSON.stringify(headers)} → ${response.status}`,
            );
          }
        }
        for (const contentType of ['text/plain', 'multipart/form-data; boundary=x', 'application/json']) {
          const response = await fetch(`${provider.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': contentType }, body: '{"a":' });
          assert.ok(response.status >= 400 && response.status < 500, `${contentType} → ${response.status}`);
        }
      });
    });

    describe('client authentication', () => {
      test('client_secret_basic decodes form-urlencoded ids and secrets (RFC 6749 §2.3.1)', async () => {
        const { client } = await serviceApp();
        const secret = 'p@ss:word+with%special/chars and space';
        await provider.store.clients.update(client.id, { secretHash: sha256(secret) });
        const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(client.id, secret));
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        // Sent without the form-encoding, "+" would be read as a space: the secret no longer matches.
        const raw = { authorization: `Basic ${Buffer.from(`${client.id}:${secret}`).toString('base64')}` };
        assertOAuthError(await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, raw), 401, 'invalid_client');
      });

      test('client_secret_post works', async () => {
        const { client, secret } = await serviceApp();
        const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials', client_id: client.id, client_secret: secret });
        assert.equal(reply.status, 200, `client_secret_post gets a token: ${JSON.stringify(reply.body)}`);
      });

      test('both methods at once is invalid_request', async () => {
        const { client, secret } = await serviceApp();
        const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials', client_secret: secret }, basicAuth(client.id, secret));
        assertOAuthError(reply, 400, 'invalid_request');
        const mismatch = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials', client_id: 'someone-else' }, basicAuth(client.id, secret));
        assertOAuthError(mismatch, 400, 'invalid_request');
      });

      test('a wrong secret over Basic is a 401 with a Basic challenge', async () => {
        const { client } = await serviceApp();
        const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth(client.id, 'wrong'));
        assertOAuthError(reply, 401, 'invalid_client');
        assert.match(
          reply.headers.get('www-authenticate')!,
          /^Basic realm="grantry"/,
          'a wrong secret over Basic is challenged with Basic realm="grantry"',
        );
      });

      test('a wrong secret in the body is a 401 without a Basic challenge', async () => {
        const { client } = await serviceApp();
        const reply = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials', client_id: client.id, client_secret: 'wrong' });
        assertOAuthError(reply, 401, 'invalid_client');
        assert.equal(reply.headers.get('www-authenticate'), null, 'a wrong secret in the body gets no Basic challenge');
      });

      test('an unknown client is invalid_client', async () => {
        assertOAuthError(await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' }), 401, 'invalid_client');
        const basic = await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }, basicAuth('nobody', 'x'));
        assertOAuthError(basic, 401, 'invalid_client');
        assert.match(basic.headers.get('www-authenticate')!, /^Basic /, 'an unknown client over Basic is challenged with Basic');
      });

      test('no client at all is invalid_client', async () => {
        assertOAuthError(await postForm(provider, '/oauth2/token', { grant_type: 'client_credentials' }), 401, 'invalid_client');
      });

      test('a confidential app without its secret is invalid_client', async () => {
        const { client } = await provider.registerClient({ appType: 'web' });
        const user = await provider.createUser();
        const { code, verifier } = await makeCode(provider, { client, user });
        const reply = await postForm(provider, '/oauth2/token', { grant_type: 'authorization_code', client_id: client.id, code, redirect_uri: redirectUri, code_verifier: verifier! });
        assertOAuthError(reply, 401, 'invalid_client');
      });

      test('a public app that sends a secret is invalid_client', async () => {
        const { client } = await provider.registerClient({ appType: 'native' });
        const reply = await postForm(provider, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: 'x', client_id: client.id, client_secret: 'made-up' });
        assertOAuthError(reply, 401, 'invalid_client');
      });

      test('an unknown client_id and a known one with wrong credentials get the same answer, at the same cost (RFC 6749 §5.2)', async () => {
        const { client } = await serviceApp();
        const { client: native } = await provider.registerClient({ appType: 'native' });
        const cases: [string, Record<string, string>][] = [
          ['an unknown client_id', { client_id: '0123456789abcdef0123456789abcdef', client_secret: 'guess' }],
          ['a wrong secret', { client_id: client.id, client_secret: 'guess' }],
          ['no secret for a confidential app', { client_id: client.id }],
          ['a secret for a public app', { client_id: native.id, client_secret: 'guess' }],
        ];
        const answers: string[] = [];
        for (const [why, credentials] of cases) {
          // Each refusal reads the app's record once, whether it exists or not, cached or not.
          const { result, statements } = await countStatements(provider, () => postForm(provider, '/oauth2/token', { grant_type: 'client_credentials', ...credentials }));
          assertOAuthError(result, 401, 'invalid_client');
          assert.deepEqual(statements.map((sql) => /from "clients"/.test(sql)), [true], `${why}: one read of the client, nothing else`);
          answers.push(JSON.stringify(result.body));
        }
        assert.equal(new Set(answers).size, 1, `every refusal is the same invalid_client, word for word: ${answers.join(' / ')}`);
      });
    });
  });
}
