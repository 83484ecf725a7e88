import type { Command } from 'commander';
import { CLI_SENDER } from '../../../lib/protocol';
import { withClient, type CliContext } from '../context';

/** The CLI's commands speak as the same user `send` uses, so a worker's reply to its spawner lands in one inbox. */
export const CLI_USER = CLI_SENDER;

interface SpawnFlags {
  cwd?: string;
  team?: string;
  model?: string;
  args?: string[];
  interactive?: boolean;
  wait?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('spawn <name> <cli> [task]')
    .description('start a worker: <cli> is a preset (claude, codex, gemini, cursor, opencode, demo) or any executable')
    .option('--cwd <dir>', 'working directory (relative to the project root)')
    .option('--team <team>', 'team name')
    .option('--model <model>', 'model for presets that take one')
    .option('--args <arg...>', 'extra arguments passed to the CLI (as an array, never through a shell)')
    .option('--interactive', 'keep the CLI interactive (presets skip their headless flags)')
    .option('--wait', 'wait until the worker is running and registered')
    .option('--json', 'print JSON')
    .action(async (name: string, cli: string, task: string | undefined, opts: SpawnFlags) => {
      await withClient(ctx, CLI_USER, async (client) => {
        const result = await client.spawn({
          name,
          cli,
          task,
          cwd: opts.cwd,
          team: opts.team,
          model: opts.model,
          args: opts.args,
          interactive: opts.interactive,
          waitForReady: opts.wait,
        });
        if (opts.json) ctx.printJson(result);
        else ctx.print(`Spawned ${result.name}${result.pid !== undefined ? ` (pid ${result.pid})` : ''}. Watch it with: agent-relay attach ${result.name}`);
      });
    });
}
