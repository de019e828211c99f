// Preloaded (node --import) into an example copied from the docs, which is run unchanged: whatever
// port the example listens on, the system picks a free one instead, and the port it got is written
// to stdout as "grantry-probe-port=N" for the test to read.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) args[0] = 0;
  else if (first && typeof first === 'object' && 'port' in first) args[0] = { ...first, port: 0 };
  this.once('listening', () => process.stdout.write(`grantry-probe-port=${this.address().port}\n`));
  return listen.apply(this, args);
};
