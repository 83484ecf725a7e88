import type { Command } from 'commander';
import { CliError, EXIT, type CliContext } from '../context';

/** `agent-relay run [--name N] -- <command…>`: wrap a command in this terminal as a relay agent. */

export function register(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run a command in this terminal as relay agent N: its ->relay: lines are sent, messages for it are typed in')
    .usage('[--name <name>] -- <command> [args...]')
    .option('--name <name>', 'agent name on the relay (default <command>-<pid>)')
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .action(async (words: string[], opts: { name?: string }) => {
      const [command, ...args] = words;
      if (!command) throw new CliError('Give the command to run after --, e.g. agent-relay run --name Lead -- bash', EXIT.USAGE, 'USAGE');
      const { runWrapped, RunUsageError } = await import('../../wrapper/run');
      try {
        process.exitCode = await runWrapped({ command, args, name: opts.name, socketPath: ctx.globals().socket });
      } catch (err) {
        if (err instanceof RunUsageError) throw new CliError(err.message, EXIT.USAGE, 'USAGE');
        // A WorkerError (refused name, unknown CLI) prints as CODE: sentence (toCliError in main.ts).
        throw err;
      }
    });
}
