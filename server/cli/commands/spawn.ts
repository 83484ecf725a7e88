import type { Command } from 'commander';
import { CLI_SENDER } from '../../../lib/protocol';
import { CliError, EXIT, withClient, type CliContext } from '../context';

/** The CLI's commands speak as the same user `send` uses, so a worker's reply to its spawner lands in one inbox. */
export const CLI_USER = CLI_SENDER;

interface SpawnFlags {
  cwd?: string;
  team?: string;
  model?: string;
  args?: string[];
  interactive?: boolean;
  worktree?: boolean;
  base?: string;
  branch?: string;
  allowDirty?: boolean;
  wait?: boolean;
  json?: boolean;
  node?: string;
}

/**
 * Commander drops `--` and mixes what follows into the operands; the raw argv tells them apart, so
 * `spawn w1 bash -- --norc -i` passes `--norc -i` to bash instead of taking `--norc` as the task.
 */
export function splitOperands(rawArgs: string[], operands: string[]): { task?: string; passthrough: string[] } {
  const dashes = rawArgs.indexOf('--');
  const passthrough = dashes === -1 ? [] : rawArgs.slice(dashes + 1);
  const before = operands.slice(0, operands.length - passthrough.length);
  if (before.length > 3) {
    throw new CliError(`Too many arguments: ${before.slice(3).join(' ')}. Quote the task, and put arguments for the CLI after --.`, EXIT.USAGE);
  }
  return { task: before[2], passthrough };
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('spawn <name> <cli> [task]')
    .usage('[options] <name> <cli> [task] [-- <cli args…>]')
    .description('start a worker: <cli> is a preset (claude, codex, gemini, cursor, opencode, demo) or any executable; arguments after -- go to the CLI')
    .allowExcessArguments()
    .option('--cwd <dir>', 'working directory (relative to the project root)')
    .option('--team <team>', 'team name')
    .option('--model <model>', 'model for presets that take one')
    .option('--args <arg...>', 'extra arguments passed to the CLI (as an array, never through a shell)')
    .option('--interactive', 'keep the CLI interactive (presets skip their headless flags)')
    .option('--worktree', 'run in a new git worktree on its own branch (docs/worktrees.md)')
    .option('--base <ref>', 'with --worktree: the branch, tag or commit to start from (default: the current HEAD)')
    .option('--branch <name>', 'with --worktree: the new branch (default relay/<name>)')
    .option('--allow-dirty', 'with --worktree: start from HEAD although the checkout has uncommitted changes')
    .option('--node <name>', 'run it on this node of the cluster (default: the relay asked; docs/cluster.md)')
    .option('--wait', 'wait until the worker is running and registered')
    .option('--json', 'print JSON')
    .action(async (name: string, cli: string, _task: string | undefined, opts: SpawnFlags, cmd: Command) => {
      const { task, passthrough } = splitOperands((program as Command & { rawArgs: string[] }).rawArgs, cmd.args);
      const args = [...(opts.args ?? []), ...passthrough];
      await withClient(ctx, CLI_USER, async (client) => {
        const result = await client.spawn({
          name,
          cli,
          task,
          cwd: opts.cwd,
          team: opts.team,
          model: opts.model,
          args: args.length > 0 ? args : undefined,
          interactive: opts.interactive,
          ...worktreeFlag(opts),
          ...(opts.node ? { node: opts.node } : {}),
          waitForReady: opts.wait,
        });
        if (opts.json) ctx.printJson(result);
        else ctx.print(`Spawned ${result.name}${result.pid !== undefined ? ` (pid ${result.pid})` : ''}. Watch it with: agent-relay attach ${result.name}`);
      });
    });
}

/** --worktree, or any of its options alone (--base, --branch, --allow-dirty imply it). */
export function worktreeFlag(opts: SpawnFlags): { worktree?: true | { base?: string; branch?: string; allowDirty?: boolean } } {
  if (!opts.worktree && !opts.base && !opts.branch && !opts.allowDirty) return {};
  const options = { ...(opts.base ? { base: opts.base } : {}), ...(opts.branch ? { branch: opts.branch } : {}), ...(opts.allowDirty ? { allowDirty: true } : {}) };
  return { worktree: Object.keys(options).length ? options : true };
}
