import type { Command } from 'commander';
import type { CliContext } from '../context';
import { withClient } from '../context';
import { formatDuration } from '../format';
import { formatBytes } from '../../storage/disk';

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
          ['storage', `${status.storage.driver}${status.storage.persistent ? ' (persistent)' : ' (in memory)'}${status.storage.canWrite ? '' : `, CANNOT WRITE: ${status.storage.lastWriteError ?? 'writes fail'} (${status.storage.heldWrites ?? 0} writes held in memory)`}`],
          ['disk', status.disk ? `${formatBytes(status.disk.freeBytes)} free of ${formatBytes(status.disk.totalBytes)} (${status.disk.path})` : '-'],
          ['release', status.containment ? `${status.containment.mode}: ${status.containment.detail}` : '-'],
          ['version', status.version],
        ];
        if (status.cluster) {
          // docs/cluster.md: this node, whether NATS is reached, the other nodes and what waits to go to them.
          const c = status.cluster;
          const others = c.nodes.filter((n) => n.node !== c.node).map((n) => `${n.node}${n.reachable ? '' : ' (unreachable)'}`);
          rows.push(['cluster', `node ${c.node} of "${c.cluster}", ${c.connected ? `connected to ${c.server ?? 'NATS'}` : 'NATS NOT REACHED (serving locally, reconnecting)'}; other nodes: ${others.join(', ') || 'none'}${c.outbox.queuedBytes ? `; ${formatBytes(c.outbox.queuedBytes)} waiting to go out` : ''}`]);
        }
        ctx.print('RUNNING');
        for (const [k, v] of rows) ctx.print(`  ${`${k}:`.padEnd(11)}${v}`);
      });
    });
}
