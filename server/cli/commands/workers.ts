import type { Command } from 'commander';
import { displayName, type WorkerInfo } from '../../../lib/protocol';
import { withClient, type CliContext } from '../context';
import { formatDuration, table } from '../format';
import { CLI_USER } from './spawn';
import { describeState } from './worktree';

/** `running`, `idle`, `released(SIGTERM)`, `exited(1)`, `lost`; `(attention)` / `(held N)` when a person is needed or messages are held. */
export function workerState(w: WorkerInfo): string {
  if (w.lost) return 'lost';
  if (w.status === 'exited') return `${w.released ? 'released' : 'exited'}(${w.signal ?? w.exitCode ?? '?'})`;
  const extra = [w.needsAttention ? 'attention' : '', w.injection?.held ? `held ${w.injection.held}` : ''].filter(Boolean);
  return extra.length ? `${w.status} (${extra.join(', ')})` : w.status;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('workers')
    .description('list workers with status, pid and uptime')
    .option('--node <name>', 'only workers of this node (a relay in a cluster: docs/cluster.md)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean; node?: string }) => {
      await withClient(ctx, CLI_USER, async (client) => {
        const all = await client.listWorkers();
        const workers = opts.node === undefined ? all : all.filter((w) => w.node === opts.node);
        if (opts.json) return ctx.printJson(workers);
        if (workers.length === 0) {
          return ctx.print(opts.node === undefined ? 'No workers. Start one with: agent-relay spawn <name> <cli> [task]' : `No workers on node ${opts.node}.`);
        }
        const now = Date.now();
        const nodes = workers.some((w) => w.node !== undefined);
        ctx.print(
          table(
            ['NAME', 'CLI', 'STATUS', 'PID', 'SPAWNER', 'UPTIME', ...(workers.some((w) => w.worktree) ? ['WORKTREE'] : []), ...(nodes ? ['NODE'] : [])],
            workers.map((w) => [
              w.name,
              w.cli,
              workerState(w),
              w.pid !== undefined ? String(w.pid) : '-',
              w.spawnerName ? displayName(w.spawnerName) : '-',
              formatDuration((w.exitedAt ?? now) - w.spawnedAt),
              ...(workers.some((x) => x.worktree) ? [w.worktree ? `${w.worktree.branch} (${describeState(w.worktree.state)})` : '-'] : []),
              ...(nodes ? [w.node === undefined ? '-' : w.nodeReachable === false ? `${w.node} (unreachable)` : w.node] : []),
            ]),
          ),
        );
      });
    });
}
