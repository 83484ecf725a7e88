import { buildPrebuiltCliIfStale } from '../server/lifecycle/prebuilt.mjs';

/**
 * vitest globalSetup: the tests that run `bin/agent-relay.js` (test/cli, test/worktrees, MCP…) run the
 * prebuilt CLI, as a person does after `npm install`. Without this, a clone whose sources were edited
 * since the last build ran every CLI start through tsx (178 files transpiled: 3-4 s a start at load
 * average 19 on two cores, against 1.1-1.5 s prebuilt), and a test making ten CLI calls ran out of
 * its time on a loaded machine. Rebuilt only when stale (3 s); a failure is said, not fatal: the CLI
 * still runs from the sources.
 */
export default async function setup(): Promise<void> {
  try {
    await buildPrebuiltCliIfStale({ log: (line: string) => console.log(line) });
  } catch (err) {
    console.warn(`Could not prebuild the CLI (${(err as Error).message.split('\n')[0]}); CLI tests run it from the sources, slower to start.`);
  }
}
