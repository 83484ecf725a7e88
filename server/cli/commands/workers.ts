import type { Command } from 'commander';
import { withClient, type CliContext } from '../context';
import { formatDuration, table } from '../format';
import { CLI_USER } from './spawn';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('workers')
    .description('list workers with status, pid and uptime')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withClient(ctx, CLI_USER, async (client) => {
        const workers = await client.listWorkers();
        if (opts.json) return ctx.printJson(workers);
        if (workers.length === 0) return ctx.print('No workers. Start one with: agent-relay spawn <name> <cli> [task]');
        const now = Date.now();
        ctx.print(
          table(
            ['NAME', 'CLI', 'STATUS', 'PID', 'SPAWNER', 'UPTIME'],
            workers.map((w) => [
              w.name,
              w.cli,
              w.status === 'exited' ? `exited(${w.signal ?? w.exitCode ?? '?'})` : w.status,
              w.pid !== undefined ? String(w.pid) : '-',
              w.spawnerName ?? '-',
              formatDuration((w.exitedAt ?? now) - w.spawnedAt),
            ]),
          ),
        );
      });
    });
}
