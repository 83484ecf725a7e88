import type { Command } from 'commander';
import { displayName, type AgentSummary, type WorkerInfo } from '../../../lib/protocol';
import { withClient, type CliContext } from '../context';
import { table } from '../format';
import { CLI_USER } from './spawn';

/**
 * The router's `idle` only means "known, not connected": for a worker that has exited that is
 * `exited` (or `released`), for anyone else `offline`.
 */
export function agentState(a: AgentSummary, worker: WorkerInfo | undefined): string {
  if (worker?.status === 'exited') return worker.released ? 'released' : `exited(${worker.signal ?? worker.exitCode ?? '?'})`;
  return a.idle ? 'offline' : 'online';
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('agents')
    .alias('who')
    .description('list agents connected or known to the daemon')
    .option('--all', 'include internal helpers (names starting "__")')
    .option('--node <name>', 'only agents of this node (a relay in a cluster: docs/cluster.md)')
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; json?: boolean; node?: string }) => {
      await withClient(ctx, CLI_USER, async (client) => {
        const all = await client.listAgents({ includeIdle: true, includeInternal: opts.all });
        const agents = opts.node === undefined ? all : all.filter((a) => a.node === opts.node);
        if (opts.json) return ctx.printJson(agents);
        const workers = new Map((await client.listWorkers()).map((w) => [w.name, w]));
        if (agents.length === 0) return ctx.print(opts.node === undefined ? 'No agents.' : `No agents on node ${opts.node}.`);
        const nodes = agents.some((a) => a.node !== undefined);
        ctx.print(
          table(
            ['NAME', 'CLI', 'STATE', 'TEAM', 'PARENT', ...(nodes ? ['NODE'] : [])],
            agents.map((a) => [
              displayName(a.name), a.cli ?? workers.get(a.name)?.cli ?? '-', agentState(a, workers.get(a.name)), a.team ?? '-', a.parent ? displayName(a.parent) : '-',
              ...(nodes ? [a.node ?? '-'] : []),
            ]),
          ),
        );
      });
    });
}
