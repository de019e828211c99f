import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { sqliteKind } from '../helpers/stores.ts';

// Slow senders (slow loris): connections that trickle their headers or their body were held open
// for as long as the sender liked (three were still open after 200 s). Now a request must arrive
// within http.headersTimeoutMs and http.requestTimeoutMs: the sender gets 408 and the connection
// is closed, and the server goes on answering everyone else.

interface Trickle {
  socket: Socket;
  /** Everything the server sent back, once it closed the connection. */
  closed: Promise<string>;
  stop(): void;
}

/** A connection that sends `head` and then one byte of `tail` every `everyMs`, for as long as it is let. */
function trickle(url: string, head: string, tail: string, everyMs: number): Trickle {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk) => (received += chunk));
  socket.on('error', () => {});
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < tail.length && socket.writable) socket.write(tail[sent++]!);
  }, everyMs);
  socket.on('connect', () => socket.write(head));
  const closed = new Promise<string>((resolve) => socket.on('close', () => {
    clearInterval(timer);
    resolve(received);
  }));
  return { socket, closed, stop: () => { clearInterval(timer); socket.destroy(); } };
}

describe('slow requests', () => {
  let provider: RunningProvider;
  before(async () => (provider = await startProvider(sqliteKind, { http: { headersTimeoutMs: 600, requestTimeoutMs: 1200 } })));
  after(() => provider.close());

  test('three connections trickling a body get 408 and are closed, and others are answered meanwhile', async () => {
    const body = 'grant_type=client_credentials&'.padEnd(400, 'x');
    const head = `POST /oauth2/token HTTP/1.1\r\nHost: ${new URL(provider.url).host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
    // One byte every 100 ms: the whole body would take 40 s.
    const slow = [0, 1, 2].map(() => trickle(provider.url, head, body, 100));
    try {
      const healthy = await fetch(`${provider.url}/healthz`);
      assert.equal(healthy.status, 200, 'the server answers others while the slow senders trickle');
      for (const [index, connection] of slow.entries()) {
        const answer = await connection.closed;
        assert.match(answer, /^HTTP\/1\.1 408 /, `slow sender ${index + 1} is answered 408 and its connection closed: ${JSON.stringify(answer.slice(0, 80))}`);
        assert.match(answer, /"error":"invalid_request"/, `with the OAuth error shape: ${JSON.stringify(answer.slice(-120))}`);
      }
    } finally {
      for (const connection of slow) connection.stop();
    }
  });

  test('a connection trickling its headers is closed', async () => {
    const head = `GET /healthz HTTP/1.1\r\nHost: ${new URL(provider.url).host}\r\nX-Slow: `;
    const slow = trickle(provider.url, head, 'a'.repeat(400), 100);
    try {
      const answer = await slow.closed;
      assert.ok(answer === '' || /^HTTP\/1\.1 408 /.test(answer), `a sender that never finishes its headers is closed (with 408 or nothing): ${JSON.stringify(answer.slice(0, 80))}`);
    } finally {
      slow.stop();
    }
  });

  test('the bounds come from the configuration, and a headers bound longer than the request bound is refused', async () => {
    const { makeConfig, ConfigError } = await import('../../src/config/config.ts');
    assert.deepEqual(makeConfig({ secret: 'x'.repeat(40) }).http, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 }, 'by default: 10 s for the headers, 30 s for the whole request');
    assert.throws(() => makeConfig({ secret: 'x'.repeat(40), http: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } }), ConfigError, 'headers may not have longer than the whole request');
  });
});
