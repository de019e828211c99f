import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeConfig } from '../../src/config/config.ts';
import { throttledAddress } from '../../src/lib/address.ts';
import { authenticateUser } from '../../src/provider/accounts/authenticate.ts';
import { memoryStore } from '../helpers/memory-store.ts';

describe('throttledAddress: the key an address is throttled under', () => {
  test('an IPv4 address is itself; an IPv6 address is its /64, however it is written', () => {
    const cases: [string, string][] = [
      ['192.0.2.7', '192.0.2.7'],
      ['::ffff:192.0.2.7', '192.0.2.7'],
      ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
      ['2001:DB8:1:2::1', '2001:db8:1:2::/64'],
      ['2001:0db8:0001:0002:0:0:0:ffff', '2001:db8:1:2::/64'],
      ['2001:db8::1', '2001:db8:0:0::/64'],
      ['64:ff9b::192.0.2.7', '64:ff9b:0:0::/64'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
      ['::1', '0:0:0:0::/64'],
    ];
    for (const [address, key] of cases) assert.equal(throttledAddress(address), key, `${address} is throttled as ${key}`);
  });

  test('guesses from addresses of one IPv6 /64 fill one bucket: rotating the interface part does not escape it', async () => {
    const store = memoryStore();
    const config = makeConfig({ secret: 'x'.repeat(32), argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 }, login: { addressFailures: 3, slowAfterFailures: 1000 } });
    const outcomes: string[] = [];
    for (const [index, address] of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2::3', '2001:db8:1:2:ffff:ffff:ffff:ffff'].entries()) {
      const result = await authenticateUser(store, config, { username: `target${index}`, password: 'guess', address });
      outcomes.push(result.ok ? 'ok' : result.reason);
    }
    assert.deepEqual(outcomes, ['invalid_credentials', 'invalid_credentials', 'invalid_credentials', 'locked'], 'the fourth guess from the same /64 is refused unchecked');
    const elsewhere = await authenticateUser(store, config, { username: 'target9', password: 'guess', address: '2001:db8:1:3::1' });
    assert.equal(elsewhere.ok ? 'ok' : elsewhere.reason, 'invalid_credentials', 'the next /64 has a bucket of its own');
  });
});
