import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { defaults } from '../../src/config/defaults.ts';
import { csrfFrom } from '../helpers/browser.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { storeKinds } from '../helpers/stores.ts';
import { basicAuth } from '../provider/token-fixtures.ts';

// Password guessing at the login page and at the password grant, with the limits of defaults.ts
// (docs/security.md, "Brute force"): the first failures are answered at once, each further one
// after a doubling delay, and past lockAfterFailures within the window the account — or the
// address — is refused for lockSeconds, the right password included. Each scenario guesses from
// its own loopback address, so that the scenarios run at once without sharing a counter. An
// unknown account is answered exactly like a known one: same statuses, same bodies, same delays.

const policy = defaults.login;
const wrong = 'not the password';

interface Answer {
  status: number;
  body: string;
  retryAfter: string | undefined;
  ms: number;
}

function send(base: string, localAddress: string, method: string, path: string, options: { form?: Record<string, string>; cookie?: string; headers?: Record<string, string> } = {}) {
  const url = new URL(path, base);
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  if (options.cookie) headers.cookie = options.cookie;
  const started = performance.now();
  return new Promise<Answer & { cookies: string[] }>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method, headers, localAddress }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({
        status: res.statusCode!, body: text, retryAfter: res.headers['retry-after'] as string | undefined, ms: performance.now() - started,
        cookies: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!),
      }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One login through the page, as a browser at `address` would: load the form, post it. */
async function login(base: string, address: string, username: string, password: string): Promise<Answer> {
  const page = await send(base, address, 'GET', '/login');
  const answer = await send(base, address, 'POST', '/login', { form: { username, password, csrf_token: csrfFrom(page.body) }, cookie: page.cookies.join('; ') });
  // The page repeats the username and carries a fresh CSRF token: neither tells accounts apart.
  return { ...answer, body: answer.body.split(username).join('<username>').replace(/name="csrf_token" value="[^"]*"/g, '') };
}

/** The delay the policy puts before the check of the attempt that follows `failures` failures. */
function expectedDelay(failures: number): number {
  return failures < policy.slowAfterFailures ? 0 : Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - policy.slowAfterFailures));
}

function assertThrottled(answers: Answer[], what: string) {
  answers.forEach((answer, failures) => {
    const delay = expectedDelay(failures);
    assert.ok(answer.ms >= delay - 20, `${what}: attempt ${failures + 1} came after ${Math.round(answer.ms)} ms, before the ${delay} ms delay`);
  });
}

for (const kind of storeKinds) {
  // The scenarios mostly wait out delays, each from its own addresses with its own accounts: at once.
  describe(`brute force with the default limits on ${kind.name}`, { concurrency: true }, () => {
    let provider: RunningProvider;
    let trustedAuth: Record<string, string>;
    let octet = kind.name === 'sqlite' ? 10 : 60;
    const address = () => `127.0.${++octet}.1`;
    before(async () => {
      // The limits are the defaults (startProvider only makes Argon2 cheaper).
      provider = await startProvider(kind);
      const { signupsPerAddress: _lifted, ...limits } = provider.config.login;
      const { signupsPerAddress: _default, ...defaultLimits } = policy;
      assert.deepEqual(limits, defaultLimits, 'the provider runs with the default login limits (only the sign-up limit is lifted for the tests)');
      const { client, clientSecret } = await provider.registerClient({ appType: 'web', trusted: true, grantTypes: ['password', 'refresh_token'] });
      trustedAuth = basicAuth(client.id, clientSecret!);
    });
    after(() => provider.close());

    const passwordGrant = async (from: string, username: string, password: string): Promise<Answer> => {
      const answer = await send(provider.url, from, 'POST', '/oauth2/token', { form: { grant_type: 'password', username, password }, headers: trustedAuth });
      return answer;
    };

    test(`per account: ${policy.lockAfterFailures} failures lock it for every address; known and unknown accounts are answered alike (login page and password grant)`, async (t) => {
      const known = await provider.createUser('known-login');
      const knownGrant = await provider.createUser('known-grant');
      const guess = async (attempt: (from: string, username: string, password: string) => Promise<Answer>, username: string) => {
        const answers: Answer[] = [];
        // Each guess from another address: the account's own counter is what locks it.
        for (let i = 0; i < policy.lockAfterFailures; i++) answers.push(await attempt(address(), username, wrong));
        return answers;
      };
      const [knownLogin, unknownLogin, knownToken, unknownToken] = await Promise.all([
        guess((a, u, p) => login(provider.url, a, u, p), known.username),
        guess((a, u, p) => login(provider.url, a, u, p), 'nobody-login'),
        guess(passwordGrant, knownGrant.username),
        guess(passwordGrant, 'nobody-grant'),
      ]);
      for (const [what, answers] of [['login, known', knownLogin], ['login, unknown', unknownLogin], ['grant, known', knownToken], ['grant, unknown', unknownToken]] as const) {
        assertThrottled(answers, what);
      }
      assert.ok(knownLogin.every((a) => a.status === 401), `every wrong password at the login page is refused with 401: ${knownLogin.map((a) => a.status).join(', ')}`);
      assert.ok(knownToken.every((a) => a.status === 400 && JSON.parse(a.body).error === 'invalid_grant'), 'every wrong password at the password grant is refused as invalid_grant');
      // Same answers for an account that exists and one that does not. The two accounts were locked
      // in parallel, so the seconds left may differ by one where a second ticked between them.
      const shape = (a: Answer, username?: string) => [a.status, (username ? a.body.split(username).join('<username>') : a.body).replace(/\d+ seconds/g, 'N seconds'), a.retryAfter === undefined ? 'no Retry-After' : 'Retry-After'];
      assert.deepEqual(knownLogin.map((a) => shape(a)), unknownLogin.map((a) => shape(a, 'nobody-login')), 'the login page answers a known and an unknown account alike');
      assert.deepEqual(knownToken.map((a) => shape(a)), unknownToken.map((a) => shape(a)), 'the password grant answers a known and an unknown account alike');
      for (const [known, unknown] of [[knownLogin, unknownLogin], [knownToken, unknownToken]] as const) {
        known.forEach((a, i) => {
          if (a.retryAfter === undefined) return;
          assert.ok(Math.abs(Number(a.retryAfter) - Number(unknown[i]!.retryAfter)) <= 1, `Retry-After for a known and an unknown account agree within a second: ${a.retryAfter} and ${unknown[i]!.retryAfter}`);
        });
      }

      // Locked now: the right password is refused, from an address that never failed, at both doors.
      const lockedLogin = await login(provider.url, address(), known.username, known.password);
      const lockedUnknown = await login(provider.url, address(), 'nobody-login', known.password);
      assert.equal(lockedLogin.status, 429, `the locked account is refused at the login page with 429, the right password included: ${lockedLogin.status}`);
      assert.ok(Number(lockedLogin.retryAfter) > 0 && Number(lockedLogin.retryAfter) <= policy.lockSeconds, lockedLogin.retryAfter);
      // Asked one after the other: the time left may have ticked by a second between them, and only that may differ.
      const timeLeft = (body: string) => body.replace(/\d+ (seconds|min)/g, 'N $1');
      assert.deepEqual([lockedUnknown.status, timeLeft(lockedUnknown.body.split('nobody-login').join('<username>'))], [lockedLogin.status, timeLeft(lockedLogin.body)], 'the login page answers a locked unknown account like a locked known one');
      assert.ok(Math.abs(Number(lockedUnknown.retryAfter) - Number(lockedLogin.retryAfter)) <= 1, `and their Retry-After agree within a second: ${lockedUnknown.retryAfter}, ${lockedLogin.retryAfter}`);
      const lockedToken = await passwordGrant(address(), knownGrant.username, knownGrant.password);
      const lockedTokenUnknown = await passwordGrant(address(), 'nobody-grant', knownGrant.password);
      assert.equal(lockedToken.status, 400, `the locked account is refused at the password grant, the right password included: ${lockedToken.body}`);
      assert.equal(JSON.parse(lockedToken.body).error, 'invalid_grant', 'the locked account is refused at the password grant as invalid_grant');
      assert.ok(Number(lockedToken.retryAfter) > 0 && Number(lockedToken.retryAfter) <= policy.lockSeconds, `the password grant tells how long the lock lasts: ${lockedToken.retryAfter}`);
      assert.deepEqual([lockedTokenUnknown.status, timeLeft(lockedTokenUnknown.body)], [lockedToken.status, timeLeft(lockedToken.body)], 'the password grant answers a locked unknown account like a locked known one');
      assert.ok(Math.abs(Number(lockedTokenUnknown.retryAfter) - Number(lockedToken.retryAfter)) <= 1, `and their Retry-After agree within a second: ${lockedTokenUnknown.retryAfter}, ${lockedToken.retryAfter}`);
      // The lock is shared: failures at the login page lock the password grant, and the other way round.
      assert.equal((await passwordGrant(address(), known.username, known.password)).status, 400, 'failures at the login page lock the password grant too');
      assert.equal((await login(provider.url, address(), knownGrant.username, knownGrant.password)).status, 429, 'failures at the password grant lock the login page too');
      t.diagnostic(`${4 * policy.lockAfterFailures + 6} attempts; delays before attempts 1–${policy.lockAfterFailures}: ${knownLogin.map((a) => Math.round(a.ms)).join(', ')} ms (login, known account)`);
    });

    test(`per address: ${policy.lockAfterFailures} failures over many accounts lock the address for every account, at both doors`, async (t) => {
      const victim = await provider.createUser('per-address-victim');
      const [fromPage, fromGrant] = [address(), address()];
      const [pageAnswers, grantAnswers] = await Promise.all([
        (async () => {
          const answers: Answer[] = [];
          for (let i = 0; i < policy.lockAfterFailures; i++) answers.push(await login(provider.url, fromPage, `page-guess-${i}`, wrong));
          return answers;
        })(),
        (async () => {
          const answers: Answer[] = [];
          for (let i = 0; i < policy.lockAfterFailures; i++) answers.push(await passwordGrant(fromGrant, `grant-guess-${i}`, wrong));
          return answers;
        })(),
      ]);
      assertThrottled(pageAnswers, 'login, per address');
      assertThrottled(grantAnswers, 'grant, per address');
      assert.ok(pageAnswers.every((a) => a.status === 401), `every guess at the login page is refused with 401: ${pageAnswers.map((a) => a.status).join(', ')}`);
      assert.ok(grantAnswers.every((a) => a.status === 400), `every guess at the password grant is refused with 400: ${grantAnswers.map((a) => a.status).join(', ')}`);
      for (const from of [fromPage, fromGrant]) {
        assert.equal((await login(provider.url, from, victim.username, victim.password)).status, 429, from);
        const refused = await passwordGrant(from, victim.username, victim.password);
        assert.equal(refused.status, 400, `the locked address is refused at the password grant: ${refused.body}`);
        assert.ok(Number(refused.retryAfter) > 0, `the password grant tells how long the address is locked: ${refused.retryAfter}`);
      }
      // The victim is not locked elsewhere, and a success clears nothing for the locked address.
      assert.equal((await login(provider.url, address(), victim.username, victim.password)).status, 303, 'the victim signs in from another address: the account is not locked');
      assert.equal((await passwordGrant(address(), victim.username, victim.password)).status, 200, 'the victim gets a token from another address: the account is not locked');
      assert.equal((await login(provider.url, fromPage, victim.username, victim.password)).status, 429, 'a success elsewhere clears nothing for the locked address');
      t.diagnostic(`${2 * policy.lockAfterFailures + 7} attempts from ${2 + 2} addresses`);
    });

    test('the reset attack: guesses for victim1 between logins to VICTIM1 lock victim1 all the same; the address runs dry; usernames differ in more than case', async (t) => {
      const victim = await provider.createUser('victim1');
      // The attacker cannot have VICTIM1: names are unique without regard to case and form.
      await assert.rejects(provider.createUser('VICTIM1'), /taken/, 'VICTIM1 is the same name as victim1');
      const attacker = await provider.createUser('attacker-own');
      const from = address();
      const statuses: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 8; i++) statuses.push((await login(provider.url, from, victim.username.toUpperCase(), wrong)).status);
        // A success of one's own used to clear the address's count and (under ALICE for alice) the victim's.
        await login(provider.url, from, attacker.username, attacker.password);
      }
      const checked = statuses.filter((status) => status === 401).length;
      assert.ok(checked <= policy.lockAfterFailures, `of 24 guesses at most ${policy.lockAfterFailures} were checked, not ${checked}`);
      assert.equal(statuses.length - checked, statuses.filter((status) => status === 429).length, 'every other guess was refused unchecked (429)');
      const right = await login(provider.url, address(), victim.username, victim.password);
      assert.equal(right.status, 429, "victim1 is locked: the guesses under another case counted against it, and the attacker's successes cleared nothing");
      t.diagnostic(`24 guesses, ${checked} checked`);
    });

    test('a success before the limit clears the account\'s count', async () => {
      const user = await provider.createUser('clears');
      const from = address();
      for (let i = 0; i < policy.slowAfterFailures; i++) assert.equal((await passwordGrant(from, user.username, wrong)).status, 400, 'a wrong password is refused before the limit');
      assert.equal((await passwordGrant(from, user.username, user.password)).status, 200, 'the right password is accepted before the limit');
      const afterSuccess = await passwordGrant(from, user.username, wrong);
      assert.equal(afterSuccess.status, 400, 'a failure after the success is refused');
      assert.deepEqual(await provider.store.throttle.find([`user:${user.username}`]).then((rows) => rows.map((r) => r.failures)), [1], 'the success cleared the count: one failure since');
    });
  });
}
