import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, Agent } from 'node:http';
import { after, describe, test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { createServiceApp, startChildProvider, type ChildProvider } from '../helpers/child-provider.ts';
import { basic } from '../helpers/basic.ts';

type Outcome = { kind: 'answered'; status: number; body: string; afterSignal: boolean } | { kind: 'failed'; code: string; afterSignal: boolean };

/** One token request on a keep-alive agent; a response counts only once its body has fully arrived. */
function tokenRequest(url: string, agent: Agent, auth: string, signalled: () => boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const body = 'grant_type=client_credentials';
    const req = request(`${url}/oauth2/token`, {
      method: 'POST',
      agent,
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      // A response cut off after its head ends in 'aborted'/'error', never in 'end'.
      res.on('end', () => resolve({ kind: 'answered', status: res.statusCode!, body: text, afterSignal: signalled() }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ kind: 'failed', code: `cut off mid-response: ${error.code ?? error.message}`, afterSignal: signalled() }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ kind: 'failed', code: error.code ?? error.message, afterSignal: signalled() }));
    req.end(body);
  });
}

describe('grantry start on SIGTERM', () => {
  let provider: ChildProvider | undefined;
  after(() => {
    if (provider && provider.child.exitCode === null) provider.child.kill('SIGKILL');
  });

  test('answers every request it accepted, writes the waiting audit events, and exits 0', async (t) => {
    // A flush interval longer than the test: the audit events reach the store only through the shutdown flush.
    const dir = mkdtempSync(join(tmpdir(), 'grantry-sigterm-'));
    const databaseUrl = `sqlite:${dir}/grantry.sqlite`;
    provider = await startChildProvider({ databaseUrl, config: { audit: { flushIntervalMs: 600_000 } } });
    // Registered once the provider has made its database: only grantry start makes one.
    const { clientId, clientSecret } = await createServiceApp(databaseUrl);
    const auth = basic(clientId, clientSecret);

    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    let signalled = false;
    const outcomes: Outcome[] = [];
    const worker = async () => {
      for (;;) {
        const outcome = await tokenRequest(provider!.url, agent, auth, () => signalled);
        outcomes.push(outcome);
        if (outcome.kind === 'failed') {
          // Once the port is closed, a new connection is refused: this worker is done.
          if (outcome.code === 'ECONNREFUSED') return;
          if (!signalled) return;
        }
        if (!signalled && outcomes.length >= 40) {
          signalled = true;
          provider!.child.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    agent.destroy();
    const { code, signal } = await provider.exited;
    assert.equal(signal, null, `the provider exits by itself, not by a signal: ${provider.stderr()}`);
    assert.equal(code, 0, provider.stderr());
    assert.match(provider.stdout(), /SIGTERM, finishing requests in flight/, 'the provider says that it is finishing the requests in flight on SIGTERM');

    const answered = outcomes.filter((o) => o.kind === 'answered');
    const failed = outcomes.filter((o): o is Extract<Outcome, { kind: 'failed' }> => o.kind === 'failed');
    t.diagnostic(`answered ${answered.length} (${answered.filter((o) => o.afterSignal).length} after SIGTERM); failed ${failed.map((o) => o.code).join(', ')}`);
    assert.ok(answered.length >= 40, `at least the 40 requests before SIGTERM are answered: ${answered.length}`);
    for (const o of answered) {
      assert.equal(o.status, 200, o.body);
      assert.equal(typeof JSON.parse(o.body).access_token, 'string', 'every answered token request carries an access token');
    }
    // Failures only before a request is taken in: a refused connection, or a keep-alive connection closed as the request was sent.
    for (const o of failed) {
      assert.ok(o.afterSignal, `a failure before SIGTERM: ${o.code}`);
      assert.ok(['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(o.code), o.code);
    }
    assert.ok(failed.some((o) => o.code === 'ECONNREFUSED'), 'the port closes before the process ends');

    // Every token the server issued was received: none was handed out in a response that got lost.
    // (Issued tokens are counted from the audit trail, written only by the shutdown flush.)
    const store = await openStore(databaseUrl);
    try {
      const issued = await store.audit.list({ clientId, event: 'token_issued', limit: 10_000 });
      // Tokens issued alike share a row with a count (src/provider/audit.ts).
      assert.equal(issued.reduce((sum, event) => sum + event.count, 0), answered.length, 'every token the server issued was received');
    } finally {
      await store.close();
    }
  });
});
