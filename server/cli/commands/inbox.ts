import { InvalidArgumentError, type Command } from 'commander';
import { CLI_SENDER, displayName } from '../../../lib/protocol';
import { withClient, type CliContext } from '../context';
import { formatTime } from '../format';
import { CLI_USER } from './spawn';

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('Use a whole number from 1 to 1000.');
  return n;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('inbox')
    .description(`messages sent to an agent (default ${CLI_SENDER}, where replies to "agent-relay send" land)`)
    .option('--agent <name>', 'whose inbox', CLI_SENDER)
    .option('--limit <n>', 'how many (default 50)', parseLimit)
    .option('--unread', 'only unread messages')
    .option('--from <name>', 'only from this sender')
    .option('--json', 'print JSON')
    .action(async (opts: { agent: string; limit?: number; unread?: boolean; from?: string; json?: boolean }) => {
      await withClient(ctx, CLI_USER, async (client) => {
        const messages = await client.inbox({ agent: opts.agent, limit: opts.limit, unreadOnly: opts.unread, from: opts.from });
        if (opts.json) return ctx.printJson(messages);
        if (messages.length === 0) return ctx.print(`No messages for ${opts.agent}.`);
        for (const m of messages) {
          ctx.print(`${formatTime(m.timestamp)}  ${displayName(m.from)}${m.thread ? ` [thread:${m.thread}]` : ''}: ${m.body}`);
        }
      });
    });
}
