#!/usr/bin/env node
// The grantry command runs the compiled JavaScript in dist/, which `npm install` builds in a
// checkout (the prepare script) and the published package ships.
try {
  await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    console.error('grantry: dist/ is missing; build it with `npm run build` (npm install does this in a checkout)');
    process.exit(1);
  }
  throw error;
}
