import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import * as client from 'openid-client';
import { runLogoutDeliveries, type LogoutDeliveries } from '../../src/provider/backchannel-logout.ts';
import { createProviderContext } from '../../src/provider/context.ts';
import { backchannelLogoutEvent, noticeLogout, sessionIdOf } from '../../src/provider/protocol/backchannel-logout.ts';
import { RegistrationError } from '../../src/provider/protocol/clients.ts';
import { csrfFrom, hiddenFields } from '../helpers/browser.ts';
import { discover, openidLogin } from '../helpers/oidc.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';

// OpenID Connect Back-Channel Logout 1.0, received by a relying party's endpoint that verifies each
// logout token as §2.6 says, with jose against the provider's published keys. Deliveries are run
// here by hand (pollSeconds 0: no timer), so each test says exactly when one is attempted.

const callback = 'https://rp.example/cb';

/** A relying party's back-channel logout endpoint: it answers as told, and hands each logout token to whoever waits. */
class LogoutReceiver {
  server: Server;
  received: string[] = [];
  /** The statuses to answer, one per request; 200 once they run out. A function holds the answer back. */
  answers: (number | ((response: ServerResponse) => void))[] = [];
  private waiting: ((token: string) => void)[] = [];

  constructor() {
    this.server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const token = new URLSearchParams(body).get('logout_token') ?? '';
        assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded', 'a form POST (§2.5)');
        this.received.push(token);
        this.waiting.shift()?.(token);
        const answer = this.answers.shift() ?? 200;
        if (typeof answer === 'function') return answer(response);
        response.writeHead(answer).end();
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/backchannel-logout`;
  }

  /** The next logout token to arrive. */
  next(): Promise<string> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

for (const kind of storeKinds) {
  describe(`back-channel logout on ${kind.name}`, () => {
    let provider: RunningProvider;
    let receiver: LogoutReceiver;
    let receiverUri: string;
    let deliveries: LogoutDeliveries;
    let config: client.Configuration;
    let clientId: string;

    before(async () => {
      provider = await startProvider(kind, { backchannelLogout: { pollSeconds: 0, firstBackoffSeconds: 0, maxAttempts: 3 } });
      receiver = new LogoutReceiver();
      receiverUri = await receiver.listen();
      deliveries = runLogoutDeliveries(provider.ctx);
      provider.ctx.wakeLogoutDeliveries = deliveries.wake;
      const registered = await provider.registerClient({ appType: 'web', name: 'Relying party', redirectUris: [callback], backchannelLogoutUri: receiverUri });
      clientId = registered.client.id;
      config = await discover(provider, clientId, registered.clientSecret!);
    });
    after(async () => {
      await deliveries.stop();
      await receiver.close();
      await provider.close();
    });

    const loggedIn = () => openidLogin(provider, config, { redirectUri: callback });

    /** What a relying party checks of a logout token (§2.6), with the provider's published keys. */
    async function verifyLogoutToken(token: string): Promise<JWTPayload> {
      const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${provider.url}/oauth2/jwks`)), {
        issuer: provider.url,
        audience: clientId,
        typ: 'logout+jwt',
        algorithms: ['RS256'],
        requiredClaims: ['iat', 'exp', 'jti', 'events'],
      });
      assert.equal(protectedHeader.alg, 'RS256', 'signed as the app\'s ID tokens are');
      assert.deepEqual(payload.events, { [backchannelLogoutEvent]: {} }, 'the back-channel logout event, with an empty object');
      assert.equal(payload.nonce, undefined, 'never a nonce (§2.4)');
      assert.ok(payload.exp! - payload.iat! <= 120, `short-lived: ${payload.exp! - payload.iat!} s`);
      return payload;
    }

    test('the metadata says back-channel logout, with sessions, is supported', () => {
      const metadata = config.serverMetadata();
      assert.equal(metadata.backchannel_logout_supported, true, 'backchannel_logout_supported');
      assert.equal(metadata.backchannel_logout_session_supported, true, 'backchannel_logout_session_supported');
    });

    test('RP-initiated logout: the app receives a logout token naming the ID token\'s sub and sid, after the logout page has answered', async () => {
      const { browser, idToken } = await loggedIn();
      const idClaims = decodeJwt(idToken);
      assert.equal(typeof idClaims.sid, 'string', 'the ID token carries the session\'s sid');
      let release!: () => void;
      // The app is slow to answer: the logout must not wait for it.
      receiver.answers.push((response) => (release = () => response.writeHead(200).end()));
      const arrived = receiver.next();
      const answer = await browser.get(`/oauth2/logout?${new URLSearchParams({ id_token_hint: idToken })}`);
      assert.equal(answer.status, 200, 'the logout page answers while the app has not');
      const token = await arrived;
      release();
      const claims = await verifyLogoutToken(token);
      assert.equal(claims.sub, idClaims.sub, 'the logout token\'s sub is the ID token\'s');
      assert.equal(claims.sid, idClaims.sid, 'and its sid the ID token\'s');
      await deliveries.runOnce();
      assert.equal(await pendingCount(provider), 0, 'delivered, nothing is left to send');
    });

    test('the provider\'s own logout button notifies too; an app that failed (503) is tried again and then succeeds', async () => {
      const { browser, idToken } = await loggedIn();
      receiver.answers.push(503);
      // Sent by hand here, attempt by attempt (with no backoff, a woken sender would go straight on to the retry).
      provider.ctx.wakeLogoutDeliveries = () => {};
      const account = await browser.get('/account/apps');
      const csrf = hiddenFields(account.text).csrf_token;
      assert.ok(csrf, 'the account page carries a CSRF token');
      const out = await browser.post('/logout', { csrf_token: csrf! });
      provider.ctx.wakeLogoutDeliveries = deliveries.wake;
      assert.equal(out.status, 303, 'logged out');
      const first = receiver.next();
      await deliveries.runOnce();
      await first;
      const [row] = await pending(provider);
      assert.equal(row?.attempts, 1, 'one attempt so far');
      assert.equal(row?.lastError, 'the app answered 503', 'and why it failed');
      const second = receiver.next();
      await deliveries.runOnce();
      const claims = await verifyLogoutToken(await second);
      assert.equal(claims.sid, decodeJwt(idToken).sid, 'the retry carries the same session');
      assert.equal(await pendingCount(provider), 0, 'then it is done');
      await provider.ctx.audit.flush();
      const events = await provider.store.audit.list({ clientId, event: 'backchannel_logout_delivered', limit: 10 });
      assert.ok(events.some((event) => event.detail?.attempts === 2), `the audit trail says it took two attempts: ${JSON.stringify(events.map((event) => event.detail))}`);
    });

    test('withdrawing the app at /account/apps sends a token with sub and no sid: every session of that person ends', async () => {
      const { browser, idToken } = await loggedIn();
      const page = await browser.get('/account/apps');
      const arrived = receiver.next();
      const revoked = await browser.post(`/account/apps/${clientId}/revoke`, { csrf_token: hiddenFields(page.text).csrf_token! });
      assert.equal(revoked.status, 303, 'revoked');
      const claims = await verifyLogoutToken(await arrived);
      assert.equal(claims.sub, decodeJwt(idToken).sub, 'the person');
      assert.equal(claims.sid, undefined, 'no session: all of them');
    });

    test('an app that refuses (400) is given up at once; one that keeps failing is given up after maxAttempts; both are in the audit trail', async () => {
      const refusing = await loggedIn();
      receiver.answers.push(400);
      const arrived = receiver.next();
      await refusing.browser.get(`/oauth2/logout?${new URLSearchParams({ id_token_hint: refusing.idToken })}`);
      await arrived;
      await deliveries.runOnce();
      assert.equal(await pendingCount(provider), 0, 'a 400 is not retried');
      const failing = await loggedIn();
      receiver.answers.push(500, 502, 503);
      await failing.browser.get(`/oauth2/logout?${new URLSearchParams({ id_token_hint: failing.idToken })}`);
      for (let attempt = 1; attempt <= 3; attempt++) await deliveries.runOnce();
      assert.equal(await pendingCount(provider), 0, 'given up after 3 attempts');
      await provider.ctx.audit.flush();
      const failures = await provider.store.audit.list({ clientId, event: 'backchannel_logout_failed', limit: 10 });
      const reasons = failures.map((event) => `${event.detail?.attempts} ${event.detail?.reason}`);
      assert.ok(reasons.includes('1 the app answered 400'), `the refusal is recorded: ${reasons.join('; ')}`);
      assert.ok(reasons.includes('3 the app answered 503'), `the last failure is recorded: ${reasons.join('; ')}`);
    });

    test('a stored delivery survives a restart, and two instances sending at once deliver it exactly once', async () => {
      const { user } = await loggedIn();
      await noticeLogout({ ...provider.ctx, wakeLogoutDeliveries: () => {} }, user.id, { sessionHash: 'a-session' });
      // Two instances as after a restart: contexts of their own over the same database.
      const [one, two] = await Promise.all([createProviderContext(provider.config, provider.store), createProviderContext(provider.config, provider.store)]);
      assert.equal(one.pairwiseSalt, provider.ctx.pairwiseSalt, 'the pairwise salt is the one kept, not made again');
      const senders = [runLogoutDeliveries(one), runLogoutDeliveries(two)];
      const before = receiver.received.length;
      await Promise.all(senders.map((sender) => sender.runOnce()));
      await Promise.all(senders.map((sender) => sender.stop()));
      assert.equal(receiver.received.length - before, 1, 'sent once');
      assert.equal((await verifyLogoutToken(receiver.received.at(-1)!)).sid, sessionIdOf('a-session', clientId), 'the stored session, as this app knows it');
      assert.equal(await pendingCount(provider), 0, 'and done');
    });

    test('a new sign-in in the same browser ends the session it replaces: its apps are told', async () => {
      const { user, browser, idToken } = await loggedIn();
      const arrived = receiver.next();
      // Through the login page, as a person signs in again (prompt=login, max_age, another account).
      const login = await browser.get('/login');
      const again = await browser.post('/login', { username: user.username, password: user.password, csrf_token: csrfFrom(login.text) });
      assert.equal(again.status, 303, 'signed in again');
      const claims = await verifyLogoutToken(await arrived);
      assert.equal(claims.sid, decodeJwt(idToken).sid, 'the replaced session\'s sid');
      await deliveries.runOnce();
    });

    test('a lease that ran out: the instance that held it can no longer delete or reschedule the delivery', async () => {
      const { user } = await loggedIn();
      await noticeLogout({ ...provider.ctx, wakeLogoutDeliveries: () => {} }, user.id, { clientId });
      const now = Math.floor(Date.now() / 1000);
      const [first] = await provider.store.logoutDeliveries.claimDue(now + 1, now + 10, 1);
      assert.ok(first, 'taken by a first instance');
      // The first instance's lease runs out; a second takes the delivery over.
      const [second] = await provider.store.logoutDeliveries.claimDue(now + 20, now + 30, 1);
      assert.equal(second?.id, first!.id, 'taken over by a second instance');
      await provider.store.logoutDeliveries.delete(first!);
      await provider.store.logoutDeliveries.retryLater(first!, { attempts: 5, nextAttemptAt: 0, lastError: 'stale' });
      const [still] = await provider.store.logoutDeliveries.claimDue(now + 40, now + 50, 1);
      assert.deepEqual([still?.id, still?.attempts], [first!.id, 0], 'the first instance changed nothing');
      await provider.store.logoutDeliveries.delete(still!);
      assert.equal(await pendingCount(provider), 0, 'the holder of the lease deletes it');
    });

    test('a back-channel logout URI must be https; http on loopback only while the issuer is http on loopback', async () => {
      const refused = ['http://rp.example/logout', 'https://rp.example/logout#x', 'https://user:pw@rp.example/logout', 'not a url', 'ftp://rp.example/'];
      for (const uri of refused) {
        await assert.rejects(provider.registerClient({ appType: 'web', redirectUris: [callback], backchannelLogoutUri: uri }), RegistrationError, `${uri} is refused`);
      }
      const httpsIssuer = await startProvider(kind, { issuer: 'https://grantry.example', backchannelLogout: { pollSeconds: 0 } });
      try {
        await assert.rejects(httpsIssuer.registerClient({ appType: 'web', redirectUris: [callback], backchannelLogoutUri: receiverUri }), /must use https/, 'loopback http is refused for a real issuer');
        // An https URI whose name resolves to loopback is accepted at registration, and refused at delivery, after DNS.
        const port = new URL(receiverUri).port;
        const sneaky = await httpsIssuer.registerClient({ appType: 'web', redirectUris: [callback], backchannelLogoutUri: `https://localhost:${port}/backchannel-logout` });
        const person = await httpsIssuer.createUser();
        await httpsIssuer.ctx.store.grants.create({ id: randomUUID(), clientId: sneaky.client.id, userId: person.id, scope: 'openid', createdAt: Math.floor(Date.now() / 1000) });
        await noticeLogout({ ...httpsIssuer.ctx, wakeLogoutDeliveries: () => {} }, person.id, { sessionHash: 'some-session' });
        const before = receiver.received.length;
        const sender = runLogoutDeliveries(httpsIssuer.ctx);
        await sender.runOnce();
        await sender.stop();
        assert.equal(receiver.received.length, before, 'nothing reached the loopback server');
        await httpsIssuer.ctx.audit.flush();
        const [failure] = await httpsIssuer.store.audit.list({ clientId: sneaky.client.id, event: 'backchannel_logout_failed', limit: 1 });
        assert.equal(failure?.detail?.reason, 'the URI does not lead to a public address', 'given up at once, saying no more than that (no address)');
      } finally {
        await httpsIssuer.close();
      }
    });
  });
}

/**
 * Everything still queued, read through the store's own claim (every row, whatever its next
 * attempt) and put back due at once: these tests run with no backoff, so that is where they were.
 */
async function pending(provider: RunningProvider) {
  return provider.store.logoutDeliveries.claimDue(Number.MAX_SAFE_INTEGER, 0, 100).then(async (rows) => {
    for (const row of rows) await provider.store.logoutDeliveries.retryLater(row, { attempts: row.attempts, nextAttemptAt: 0, lastError: row.lastError ?? '' });
    return rows;
  });
}

async function pendingCount(provider: RunningProvider): Promise<number> {
  return (await pending(provider)).length;
}
