import type { Command } from 'commander';
import type { CliContext } from '../context';
import * as agents from './agents';
import * as attach from './attach';
import * as doctor from './doctor';
import * as down from './down';
import * as inbox from './inbox';
import * as inject from './inject';
import * as input from './input';
import * as logs from './logs';
import * as mcp from './mcp';
import * as release from './release';
import * as run from './run';
import * as send from './send';
import * as spawn from './spawn';
import * as status from './status';
import * as up from './up';
import * as workers from './workers';
import * as worktree from './worktree';

/**
 * The command registry. A command is a module exporting `register(program, ctx)` that adds itself
 * with `program.command(...)`.
 */
export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}

/**
 * Every command, in the order `--help` lists them. Imported statically so the prebuilt CLI bundle
 * (server/lifecycle/prebuilt.mjs) holds exactly these: a computed `import()` would pull in every file
 * of this folder, tests included. Each module's own heavy code (the server, the MCP server, the
 * wrapper) is imported only when its command runs.
 */
const COMMANDS: CommandModule[] = [up, down, status, spawn, release, workers, agents, send, input, inject, logs, attach, inbox, doctor, worktree, run, mcp];

export async function registerCommands(program: Command, ctx: CliContext): Promise<void> {
  for (const command of COMMANDS) command.register(program, ctx);
}
