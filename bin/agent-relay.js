#!/usr/bin/env node
// Entry point of the `agent-relay` CLI. Production must be decided before anything is imported
// (Next reads NODE_ENV at import), so `up` sets it here unless `--dev` was asked for.
const argv = process.argv.slice(2);
if (argv[0] === 'up' && !argv.includes('--dev')) process.env.NODE_ENV = 'production';

// The CLI prebuilt ahead of time (server/lifecycle/prebuilt.mjs: `npm install`, `npm run build`,
// `npm start`) when it matches the sources; otherwise the TypeScript sources themselves, through
// tsx's loader. Either way one plain `node` process, so signals reach it directly.
// AGENT_RELAY_SOURCES=1 always runs the sources.
const { prebuiltEntry } = await import('../server/lifecycle/prebuilt.mjs');
const entry = process.env.AGENT_RELAY_SOURCES === '1' ? undefined : prebuiltEntry();
let main;
let served = false;
if (entry && argv.length === 2 && argv[0] === 'mcp' && argv[1] === 'serve') {
  // `mcp serve` as editors and agent CLIs start it: answers the handshake before the MCP SDK has
  // loaded (server/mcp/fast-start.ts), when the build computed it; else the usual way below.
  const { readFileSync } = await import('node:fs');
  let handshake;
  try {
    handshake = JSON.parse(readFileSync(new URL('mcp-handshake.json', entry), 'utf8'));
  } catch {
    handshake = undefined;
  }
  if (handshake?.v === 1) {
    globalThis[Symbol.for('agent-relay.cli')] = { prebuilt: new URL('.', entry).pathname };
    const { runMcpFast } = await import(new URL('mcp-fast.mjs', entry).href);
    await runMcpFast(handshake);
    served = true;
  }
}
if (served) {
  // Done: Node exits once stdout has been written out (process.exit could cut a pipe's last answer).
} else if (entry) {
  // For `agent-relay doctor`: which build this process runs.
  globalThis[Symbol.for('agent-relay.cli')] = { prebuilt: new URL('.', entry).pathname };
  ({ main } = await import(entry));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../server/cli/main.ts'));
}
if (!served) await main(process.argv);
