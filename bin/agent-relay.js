#!/usr/bin/env node
// Entry point of the `agent-relay` CLI. Production must be decided before anything is imported
// (Next reads NODE_ENV at import), so `up` sets it here unless `--dev` was asked for.
const argv = process.argv.slice(2);
if (argv[0] === 'up' && !argv.includes('--dev')) process.env.NODE_ENV = 'production';

// The server and CLI are TypeScript run in this same process through tsx's loader: one plain
// `node` process, so signals reach it directly.
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../server/cli/main.ts');
await main(process.argv);
