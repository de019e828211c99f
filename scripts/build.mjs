// Builds what the package ships: src/ compiled by tsc into dist/ (JavaScript, declarations and
// source maps), with the files that are not TypeScript (the browser module, the demo's assets)
// copied beside them. Incremental: a build with nothing changed costs a few seconds. `npm install`
// runs it (prepare), as do `npm start` and `npm pack`.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

/** Files under src/ that ship as they are: everything that is not TypeScript, and hand-written declarations. */
const copied = (path) => !path.endsWith('.ts') || path.endsWith('.d.ts');

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error('grantry build: tsc failed (see above)');
  process.exit(compiled.status ?? 1);
}

const sources = walk(src);
for (const file of sources.filter(copied)) {
  const target = join(dist, relative(src, file));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
}

// Declarations keep the sources' `.ts` import specifiers; a consumer's compiler resolves `.js` ones
// everywhere, whatever its settings, so they are rewritten as the JavaScript's already are.
for (const file of walk(dist).filter((path) => path.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8');
  const rewritten = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+?)\.ts(['"])/g, '$1$2.js$3');
  if (rewritten !== text) writeFileSync(file, rewritten);
}

// An incremental build leaves the output of a deleted or renamed source behind: remove it, so
// that the package never ships a module its sources no longer have.
const expected = new Set(sources.flatMap((file) => {
  const path = relative(src, file);
  if (copied(file)) return [path];
  const base = path.slice(0, -'.ts'.length);
  return [`${base}.js`, `${base}.js.map`, `${base}.d.ts`];
}));
for (const file of walk(dist)) {
  const path = relative(dist, file);
  if (path === '.tsbuildinfo' || expected.has(path)) continue;
  rmSync(file);
}
