// Packs grantry-connect: Connect alone, for a website that logs in with providers and runs none.
// It is the same build as grantry's (dist/, made by `npm run build` or `npm pack`), cut down to the
// files that grantry/connect and grantry/connect/browser import, with only the dependencies those
// files import. The database driver is the site's choice (an optional peer, as with Kysely or knex),
// so that a site on PostgreSQL never builds SQLite's native module.
//
//   node scripts/pack-connect.mjs [--destination DIR]   prints the tarball's path
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entries = { '.': 'dist/connect/index', './browser': 'dist/connect/adapters/browser' };
/** Imported only when a URL of its kind is opened: the site installs the one it uses. */
const drivers = ['better-sqlite3', 'pg'];

const destinationFlag = process.argv.indexOf('--destination');
const destination = resolve(destinationFlag > 0 ? process.argv[destinationFlag + 1] : root);

if (!existsSync(join(root, `${entries['.']}.js`))) {
  console.error('There is no build: run npm run build first.');
  process.exit(1);
}

const files = new Set();
/** Packages imported at run time (by a static import), and packages named only by declarations. */
const runtime = new Set();
const typesOnly = new Set();

function packageOf(specifier) {
  return specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
}

function walk(file) {
  if (files.has(file)) return;
  if (!existsSync(file)) throw new Error(`${relative(root, file)} is imported but was not built`);
  files.add(file);
  const source = readFileSync(file, 'utf8');
  const declaration = file.endsWith('.d.ts');
  const specifiers = [
    ...[...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)].map((m) => ({ specifier: m[1], dynamic: false })),
    ...[...source.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)].map((m) => ({ specifier: m[1], dynamic: false })),
    ...[...source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => ({ specifier: m[1], dynamic: true })),
  ];
  for (const { specifier, dynamic } of specifiers) {
    if (specifier.startsWith('.')) {
      const target = resolve(dirname(file), specifier);
      walk(target);
      if (target.endsWith('.js')) walk(target.replace(/\.js$/, '.d.ts'));
    } else if (!specifier.startsWith('node:')) {
      const name = packageOf(specifier);
      if (declaration || dynamic) typesOnly.add(name);
      else runtime.add(name);
    }
  }
}

for (const entry of Object.values(entries)) {
  walk(join(root, `${entry}.js`));
  walk(join(root, `${entry}.d.ts`));
}
for (const name of runtime) typesOnly.delete(name);

const grantry = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const rangeOf = (name) => {
  const range = grantry.dependencies?.[name] ?? grantry.devDependencies?.[name];
  if (!range) throw new Error(`Connect imports ${name}, which package.json does not list`);
  return range;
};
const unexpected = [...runtime].filter((name) => drivers.includes(name));
if (unexpected.length > 0) throw new Error(`Connect imports ${unexpected.join(', ')} at start; drivers must load only when a URL of their kind is opened`);
// Declarations that name a package the site may not have (Fastify's types, for connectFastify; a
// driver's, for openStore's options) make it an optional peer: present when the site uses it.
const peers = [...new Set([...drivers, ...typesOnly])].filter((name) => !name.startsWith('@types/')).sort();

const manifest = {
  name: 'grantry-connect',
  version: grantry.version,
  description: 'Grantry Connect alone: "Log in with Grantry / Weibo / WeChat / QQ / GitHub / Google / any OpenID provider" for a website, with account binding, and none of the provider.',
  type: 'module',
  license: grantry.license,
  keywords: ['oauth', 'oauth2', 'openid', 'login', 'weibo', 'wechat', 'qq', 'express', 'fastify'],
  engines: grantry.engines,
  main: `./${entries['.']}.js`,
  types: `./${entries['.']}.d.ts`,
  exports: {
    ...Object.fromEntries(Object.entries(entries).map(([path, entry]) => [path, { types: `./${entry}.d.ts`, default: `./${entry}.js` }])),
    './package.json': './package.json',
  },
  files: ['dist'],
  dependencies: Object.fromEntries([...runtime].sort().map((name) => [name, rangeOf(name)])),
  peerDependencies: Object.fromEntries(peers.map((name) => [name, rangeOf(name)])),
  peerDependenciesMeta: Object.fromEntries(peers.map((name) => [name, { optional: true }])),
};

const stage = mkdtempSync(join(tmpdir(), 'grantry-connect-'));
try {
  for (const file of files) {
    const target = join(stage, relative(root, file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file, target);
  }
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  cpSync(join(root, 'LICENSE'), join(stage, 'LICENSE'));
  const guide = readFileSync(join(root, 'docs/connect.md'), 'utf8');
  writeFileSync(
    join(stage, 'README.md'),
    `${guide.split('\n')[0]}\n\n> This is grantry-connect: grantry's Connect on its own. Import from \`grantry-connect\` (and \`grantry-connect/browser\`) where this guide says \`grantry/connect\`, and install the database driver you use: \`npm install grantry-connect better-sqlite3\` or \`npm install grantry-connect pg\`.\n${guide.split('\n').slice(1).join('\n')}`,
  );
  mkdirSync(destination, { recursive: true });
  const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', destination], { cwd: stage, encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.stdout}\n${packed.stderr}`);
  const [result] = JSON.parse(packed.stdout);
  console.log(JSON.stringify({ tarball: join(destination, result.filename), files: result.files.length, size: result.size, unpackedSize: result.unpackedSize, dependencies: manifest.dependencies, peerDependencies: manifest.peerDependencies }));
} finally {
  rmSync(stage, { recursive: true, force: true });
}
