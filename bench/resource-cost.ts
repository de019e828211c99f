// `node --import tsx bench/resource-cost.ts`: what grantry/resource's Express middleware costs per
// request, in CPU µs, with no HTTP around it — the figure the Express scenario of `npm run bench`
// (express-resource) cannot resolve on a noisy machine, where a whole Express request costs
// ≈ 200 µs and moves by tens between rounds. The middleware is called with a request and response
// that do nothing, on one token (after its first use, a remembered one: the case of a client
// calling an API again and again), against a promise resolved the same way with no check at all.
// The keys are handed over (the `keys` option), which is what the cached JWKS amounts to here.
import { generateKeyPair } from 'jose';
import { benchAccessToken } from './targets/types.ts';
import { protectedResource } from '../src/resource/index.ts';

const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const issuer = 'https://id.example.com';
const resource = 'https://api.example.com/data';
const token = await benchAccessToken(privateKey, issuer, resource);

const api = protectedResource({ resource, authorizationServers: [issuer], keys: (kid) => (kid === 'bench' ? publicKey : undefined) });
const middleware = api.express({ scopes: ['data:read'] });
const request = { method: 'GET', url: '/data', originalUrl: '/data', headers: { authorization: `Bearer ${token}` } };
const response = { status: () => ({ json: () => undefined }), setHeader: () => undefined, json: () => undefined };

async function cpuMicrosPerCall(work: () => Promise<void>, calls = 200_000): Promise<number> {
  for (let i = 0; i < 20_000; i++) await work();
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) await work();
    const used = process.cpuUsage(start);
    rounds.push((used.user + used.system) / calls);
  }
  return rounds.sort((a, b) => a - b)[2]!;
}

const guarded = await cpuMicrosPerCall(() => new Promise<void>((resolve, reject) => middleware(request, response, (error) => (error ? reject(error) : resolve()))));
const open = await cpuMicrosPerCall(() => new Promise<void>((resolve) => resolve()));
let firstUse = 0;
{
  // A token's first use: its Ed25519 signature checked by jose (a fresh resource each time, so nothing is remembered).
  const start = process.cpuUsage();
  for (let i = 0; i < 2_000; i++) await protectedResource({ resource, authorizationServers: [issuer], keys: () => publicKey }).verify(`Bearer ${token}`);
  const used = process.cpuUsage(start);
  firstUse = (used.user + used.system) / 2_000;
}
process.stdout.write(`grantry/resource's Express middleware, a remembered token: ${guarded.toFixed(2)} µs per call (median of 5 × 200,000)\n`);
process.stdout.write(`the same promise with no check: ${open.toFixed(2)} µs; the check costs ${(guarded - open).toFixed(2)} µs\n`);
process.stdout.write(`a token's first use (its signature verified): ${firstUse.toFixed(0)} µs\n`);
