import type { Command } from 'commander';
import { withClient, type CliContext } from '../context';
import { table } from '../format';
import { CLI_USER } from './spawn';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('agents')
    .alias('who')
    .description('list agents connected or known to the daemon')
    .option('--all', 'include internal helpers (names starting "__")')
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      await withClient(ctx, CLI_USER, async (client) => {
        const agents = await client.listAgents({ includeIdle: true, includeInternal: opts.all });
        if (opts.json) return ctx.printJson(agents);
        if (agents.length === 0) return ctx.print('No agents.');
        ctx.print(
          table(
            ['NAME', 'CLI', 'STATE', 'TEAM', 'PARENT'],
            agents.map((a) => [a.name, a.cli ?? '-', a.idle ? 'idle' : 'online', a.team ?? '-', a.parent ?? '-']),
          ),
        );
      });
    });
}
