// Preload (node --import) for test/cluster/no-cluster.test.ts: writes to $AGENT_RELAY_PROBE_FILE a
// line for every @nats-io module loaded (ESM resolve hook and CommonJS require) and every TCP
// connection the process opens, so a test can say what a relay did without asking it.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import net from 'node:net';

const out = process.env.AGENT_RELAY_PROBE_FILE;
if (out) {
  const note = (line) => appendFileSync(out, `${line}\n`);
  register('./probe-hooks.mjs', import.meta.url, { data: { out } });
  const load = Module._load;
  Module._load = function (request, ...rest) {
    if (String(request).includes('@nats-io')) note(`module ${request}`);
    return load.call(this, request, ...rest);
  };
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (...args) {
    const opts = typeof args[0] === 'object' && args[0] !== null ? (Array.isArray(args[0]) ? args[0][0] : args[0]) : { port: args[0], host: args[1] };
    if (opts && opts.port !== undefined && !opts.path) note(`tcp ${opts.host ?? 'localhost'}:${opts.port}`);
    return connect.apply(this, args);
  };
}
