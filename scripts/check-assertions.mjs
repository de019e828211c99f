// Every assertion in the tests carries a message. A failing assert.ok() without one makes Node 20
// parse the TypeScript source to word its message, which can hang a whole run under tsx; and an
// assertion without a message says nothing of what the test expected when it fails. This check
// runs before the suite (scripts/test.mjs) and lists each assertion that has no message.
//
//   node scripts/check-assertions.mjs [files or folders…]     (default: test/)

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** How many arguments each assertion takes when its message is given. */
const arityWithMessage = {
  ok: 2,
  equal: 3,
  notEqual: 3,
  strictEqual: 3,
  notStrictEqual: 3,
  deepEqual: 3,
  notDeepEqual: 3,
  deepStrictEqual: 3,
  notDeepStrictEqual: 3,
  match: 3,
  doesNotMatch: 3,
  throws: 3,
  doesNotThrow: 2,
  rejects: 3,
  doesNotReject: 2,
  ifError: 1,
  fail: 1,
};

function testFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => testFiles(join(path, name))).filter((file) => /\.(ts|mts|js|mjs)$/.test(file));
}

/** Each assertion call in a file that has fewer arguments than its message needs. */
export function bareAssertions(file, source = readFileSync(file, 'utf8')) {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      let name;
      if (ts.isIdentifier(callee) && callee.text === 'assert') name = 'ok';
      else if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'assert') name = callee.name.text;
      const needed = name === undefined ? undefined : arityWithMessage[name];
      if (needed !== undefined && node.arguments.length < needed && !node.arguments.some(ts.isSpreadElement)) {
        const { line } = tree.getLineAndCharacterOfPosition(node.getStart(tree));
        found.push({ line: line + 1, call: node.getText(tree).split('\n')[0].slice(0, 100) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

export function checkAssertions(paths) {
  const problems = [];
  for (const file of paths.flatMap(testFiles)) {
    for (const { line, call } of bareAssertions(file)) problems.push(`${relative('.', file)}:${line}  ${call}`);
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const paths = process.argv.slice(2);
  const problems = checkAssertions(paths.length > 0 ? paths : ['test']);
  if (problems.length > 0) {
    console.error(`${problems.length} assertion(s) without a message (say what was expected, as the last argument):`);
    for (const problem of problems) console.error(`  ${problem}`);
    process.exit(1);
  }
}
