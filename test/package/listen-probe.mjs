// Preloaded (node --import) into an example copied from the docs, which is run unchanged: whatever
// port the example listens on, the system picks a free one instead (unless GRANTRY_PROBE_KEEP_PORT
// is set), and the port it listens on is written to stdout as "grantry-probe-port=N" for the test to read.
import net from 'node:net';

// GRANTRY_PROBE_KEEP_PORT: the example keeps its own port, the one its siteUrl names, which the test chose.
const keepPort = Boolean(process.env.GRANTRY_PROBE_KEEP_PORT);
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (!keepPort && (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first)))) args[0] = 0;
  else if (!keepPort && first && typeof first === 'object' && 'port' in first) args[0] = { ...first, port: 0 };
  this.once('listening', () => process.stdout.write(`grantry-probe-port=${this.address().port}\n`));
  return listen.apply(this, args);
};
