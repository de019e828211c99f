// Runs every test file under test/ with Node's own test runner.
// The store tests need PostgreSQL as well as SQLite; when PostgreSQL cannot be reached the run
// fails here, with directions, instead of skipping half of the suite in silence.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { checkAssertions } from './check-assertions.mjs';

const databaseUrl = process.env.GRANTRY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function checkPostgres() {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    console.error(`PostgreSQL is not reachable at ${databaseUrl}: ${error.message}
The store tests run on SQLite and on PostgreSQL. Start PostgreSQL, or point the tests at one with
  GRANTRY_TEST_DATABASE_URL=postgres://user@host:5432/database npm test`);
    process.exit(1);
  } finally {
    await client.end().catch(() => {});
  }
}

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

await checkPostgres();
const only = process.argv.slice(2);
if (only.length === 0) {
  // The whole suite starts with the type check: strict TypeScript is part of what is tested.
  const typecheck = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], { stdio: 'inherit' });
  if (typecheck.status !== 0) {
    console.error('The type check failed (npx tsc --noEmit -p .).');
    process.exit(typecheck.status ?? 1);
  }
}
const files = only.length > 0 ? only : findTests('test').sort();
// Every assertion carries a message (scripts/check-assertions.mjs says why): enforced here, not by memory.
const bare = checkAssertions(only.length > 0 ? only : ['test']);
if (bare.length > 0) {
  console.error(`${bare.length} test assertion(s) without a message; give each one, as its last argument, what it expected:`);
  for (const problem of bare) console.error(`  ${problem}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  // A failing assert.ok() can hang Node 20 for good (it parses the TypeScript source to word its
  // message): a bound on every test turns such a hang into a failure naming the test.
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...files],
  { stdio: 'inherit', env: { ...process.env, GRANTRY_TEST_DATABASE_URL: databaseUrl } },
);
process.exit(result.status ?? 1);
