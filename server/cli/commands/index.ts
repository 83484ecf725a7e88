import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import * as agents from './agents';
import * as attach from './attach';
import * as doctor from './doctor';
import * as down from './down';
import * as inbox from './inbox';
import * as input from './input';
import * as logs from './logs';
import * as release from './release';
import * as send from './send';
import * as spawn from './spawn';
import * as status from './status';
import * as up from './up';
import * as workers from './workers';

/**
 * The command registry. A command is a module exporting `register(program, ctx)` that adds itself
 * with `program.command(...)`.
 */
export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}

const BUILT_IN: CommandModule[] = [up, down, status, spawn, release, workers, agents, send, input, logs, attach, inbox, doctor];

/**
 * Commands owned by other modules (the wrapper's `run`, the MCP server's `mcp serve|install`): a
 * file `./<name>.ts` here exporting `register(program, ctx)` is picked up when present, so each
 * can land without editing this list.
 */
const OPTIONAL = ['run', 'mcp'];

export async function registerCommands(program: Command, ctx: CliContext): Promise<void> {
  for (const command of BUILT_IN) command.register(program, ctx);
  const here = dirname(fileURLToPath(import.meta.url));
  for (const name of OPTIONAL) {
    if (!existsSync(join(here, `${name}.ts`)) && !existsSync(join(here, `${name}.js`))) continue;
    const mod = (await import(`./${name}`)) as Partial<CommandModule>;
    if (typeof mod.register !== 'function') throw new Error(`server/cli/commands/${name} must export register(program, ctx).`);
    mod.register(program, ctx);
  }
}
