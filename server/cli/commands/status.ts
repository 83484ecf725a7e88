import type { Command } from 'commander';
import type { CliContext } from '../context';
import { withClient } from '../context';
import { formatDuration } from '../format';

export const STATUS_USER = '__status__';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('is the daemon running? pid, socket, dashboard, uptime, agents, workers')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withClient(ctx, STATUS_USER, async (client, found) => {
        const status = await client.status();
        const pid = found.marker?.pid;
        const dashboardUrl = status.dashboardUrl ?? found.marker?.dashboardUrl;
        if (opts.json) {
          ctx.printJson({ running: true, pid, source: found.source, ...status, dashboardUrl });
          return;
        }
        const rows: [string, string][] = [
          ['pid', pid !== undefined ? String(pid) : 'unknown'],
          ['socket', status.socketPath],
          ['project', status.projectRoot ?? '-'],
          ['dashboard', dashboardUrl ?? '-'],
          ['uptime', formatDuration(status.uptime)],
          ['agents', String(status.agentCount)],
          ['workers', String(status.workerCount)],
          ['storage', `${status.storage.driver}${status.storage.persistent ? ' (persistent)' : ' (in memory)'}`],
          ['version', status.version],
        ];
        ctx.print('RUNNING');
        for (const [k, v] of rows) ctx.print(`  ${`${k}:`.padEnd(11)}${v}`);
      });
    });
}
