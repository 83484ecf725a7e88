import type { Command } from 'commander';
import { withClient, type CliContext } from '../context';
import { decodeEscapes } from '../escapes';
import { CLI_USER } from './spawn';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('input <name> <text>')
    .description('type into a worker\'s terminal; escapes: \\r Enter, \\n, \\t, \\e Esc, \\xHH (\\x03 = Ctrl-C), \\\\')
    .option('--enter', 'press Enter after the text (same as ending it with \\r)')
    .action(async (name: string, text: string, opts: { enter?: boolean }) => {
      const data = decodeEscapes(text) + (opts.enter ? '\r' : '');
      await withClient(ctx, CLI_USER, (client) => client.sendWorkerInput(name, data));
    });
}
