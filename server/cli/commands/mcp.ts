import type { Command } from 'commander';
import { EDITOR_NAMES, resolveEditor, type EditorId } from '../../mcp/editors';
import { describeResult, installMcp } from '../../mcp/install';
import { CliError, EXIT, type CliContext } from '../context';

/** `agent-relay mcp serve|install`. */

interface InstallFlags {
  editor?: string[];
  scope?: string;
  name?: string;
  dryRun?: boolean;
  uninstall?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  const mcp = program.command('mcp').description('MCP server for editors and agents (relay tools over stdio)');

  mcp
    .command('serve')
    .description('run the MCP server on stdio (what an editor starts); finds the daemon from any directory')
    .action(async () => {
      const { runMcpServer } = await import('../../mcp/serve');
      // An explicit --socket reaches discovery through RELAY_SOCKET, the order every client uses.
      const socket = ctx.globals().socket;
      await runMcpServer({ env: socket ? { ...process.env, RELAY_SOCKET: socket } : process.env });
    });

  mcp
    .command('install')
    .description(`add agent-relay to an editor's MCP config (${EDITOR_NAMES.join(', ')})`)
    .requiredOption('-e, --editor <name...>', 'editor(s) to configure, or "all"')
    .option('--scope <scope>', 'user (all projects) or project (this project\'s config file)', 'user')
    .option('--name <agent>', 'agent name the editor uses on the relay (RELAY_AGENT_NAME); default mcp-<pid>')
    .option('-n, --dry-run', 'show what would be written, change nothing')
    .option('-u, --uninstall', 'remove agent-relay from the config instead')
    .option('--json', 'print the results as JSON')
    .action((flags: InstallFlags) => {
      if (flags.scope !== 'user' && flags.scope !== 'project') {
        throw new CliError(`--scope must be "user" or "project", not "${flags.scope}".`, EXIT.USAGE, 'BAD_SCOPE');
      }
      const editors: EditorId[] = [];
      for (const name of flags.editor ?? []) {
        if (name === 'all') editors.push(...EDITOR_NAMES);
        else {
          const editor = resolveEditor(name);
          if (!editor) throw new CliError(`Unknown editor "${name}". Use one of: ${EDITOR_NAMES.join(', ')}, all.`, EXIT.USAGE, 'UNKNOWN_EDITOR');
          editors.push(editor.id);
        }
      }
      const results = installMcp({
        editors: [...new Set(editors)],
        scope: flags.scope,
        uninstall: flags.uninstall,
        dryRun: flags.dryRun,
        agentName: flags.name,
      });
      if (flags.json) ctx.printJson(results);
      else
        for (const result of results) {
          ctx.print(describeResult(result, flags.dryRun));
          if (flags.dryRun && result.content !== undefined && result.status !== 'unchanged' && result.status !== 'absent') {
            ctx.print(`--- ${result.path} (after)\n${result.content}`);
          }
        }
      if (results.some((r) => r.status === 'error')) process.exitCode = EXIT.FAILURE;
      else if (!flags.dryRun && !flags.uninstall && !flags.json) ctx.print('Restart the editor to load the agent-relay tools.');
    });
}
