import type { Command } from 'commander';
import { withClient, type CliContext } from '../context';
import { CLI_USER } from './spawn';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('release <name>')
    .description('stop a worker: polite exit, then SIGTERM, then SIGKILL after the grace period')
    .option('--force', 'SIGKILL at once')
    .option('--reason <text>', 'why (recorded)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { force?: boolean; reason?: string; json?: boolean }) => {
      await withClient(ctx, CLI_USER, async (client) => {
        const result = await client.release(name, { force: opts.force, reason: opts.reason });
        if (opts.json) return ctx.printJson(result);
        const how = result.signal ? `signal ${result.signal}` : result.exitCode !== undefined && result.exitCode !== null ? `exit code ${result.exitCode}` : 'no exit status';
        ctx.print(`Released ${result.name} (${how}${result.endedBy ? `, ended by ${result.endedBy}` : ''}).`);
      });
    });
}
