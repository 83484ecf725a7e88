import type { Command } from 'commander';
import type { CliContext } from '../context';

export function register(program: Command, _ctx: CliContext): void {
  program
    .command('down')
    .description("stop this project's server: release every worker, flush storage, remove socket and marker")
    .option('--project <dir>', 'project root (default: discovered from the working directory)')
    .action(async (opts: { project?: string }) => {
      const { runDown } = await import('../../lifecycle');
      // runDown prints its own report and sets process.exitCode (0 stopped, 1 too slow, 3 none running).
      await runDown(opts);
    });
}
