import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands';
import { CliError, createContext, EXIT, toCliError } from './context';

/** Builds the `agent-relay` program. Commands live one per file in ./commands (see its index). */
export async function buildProgram(): Promise<Command> {
  const program = new Command('agent-relay')
    .description('Run AI coding agents as workers in real terminals, let them message each other, and steer them.')
    .option('--socket <path>', 'daemon socket (overrides discovery: RELAY_SOCKET, project, marker, /tmp/agent-relay.sock)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  await registerCommands(program, createContext(program));
  return program;
}

/**
 * `agent-relay status | head -1`: the reader leaves after one line, and the next write fails with
 * EPIPE, emitted as an 'error' event nobody handled: a crash with a stack trace. A reader that went
 * away wants no more output, so the command stops there, quietly, with the exit code it had so far.
 * `up` only ignores it: its stdout is the URL line, and the server must not stop because whoever
 * read that line has gone.
 */
export function handleBrokenPipes(argv: string[], streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  const serving = argv[2] === 'up';
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      if (!serving) process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK);
    });
  }
}

/** Runs the CLI; sets process.exitCode (0 ok, 1 failure, 2 usage, 3 daemon not running) instead of exiting. */
export async function main(argv: string[]): Promise<void> {
  handleBrokenPipes(argv);
  let program: Command;
  try {
    program = await buildProgram();
  } catch (err) {
    process.stderr.write(`agent-relay: ${(err as Error).message}\n`);
    process.exitCode = EXIT.FAILURE;
    return;
  }
  if (argv.length <= 2) {
    program.outputHelp({ error: true });
    process.exitCode = EXIT.USAGE;
    return;
  }
  try {
    await program.parseAsync(argv);
    if (process.exitCode === undefined) process.exitCode = EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed the message (or the help/version it was asked for).
      process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return;
    }
    const cliError = err instanceof CliError ? err : toCliError(err);
    process.stderr.write(`${cliError.message}\n`);
    process.exitCode = cliError.exitCode;
  }
}
