import { InvalidArgumentError, type Command } from 'commander';
import { CLI_SENDER, type ErrorPayload } from '../../../lib/protocol';
import type { RelayMessage } from '../../../lib/sdk';
import { CliError, toCliError, type CliContext } from '../context';

export const DEFAULT_REPLY_WAIT_MS = 2000;

export function parseMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('Use a whole number of milliseconds (0 or more).');
  return n;
}

/** The daemon speaks protocol (LIST_AGENTS); a person at the CLI needs the command that lists names. */
function refusalSentence(refusal: ErrorPayload, to: string): string {
  if (refusal.code !== 'NOT_FOUND') return refusal.message;
  return `No agent or user named "${to.slice(0, 64)}" is connected or known, so the message was not accepted. See the names with: agent-relay agents (or start it first: agent-relay spawn ${to.slice(0, 64)} <cli>).`;
}

interface SendFlags {
  from: string;
  thread?: string;
  wait: number;
  json?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('send <to> <message>')
    .description('send a message to an agent (or * for everyone, @users for people) and print a reply if one comes quickly')
    .option('--from <name>', 'send as this user', CLI_SENDER)
    .option('--thread <id>', 'thread id')
    .option('--wait <ms>', `how long to wait for a reply (default ${DEFAULT_REPLY_WAIT_MS}; 0 = do not wait)`, parseMs, DEFAULT_REPLY_WAIT_MS)
    .option('--json', 'print JSON')
    .action(async (to: string, body: string, opts: SendFlags) => {
      const { client } = await ctx.connect(opts.from);
      let refusal: ErrorPayload | undefined;
      let onReply: (m: RelayMessage) => void = () => {};
      const replies: RelayMessage[] = [];
      client.onMessage((m) => {
        const fromTarget = to === '*' || to === '@users' || m.from === to;
        if (fromTarget && (!opts.thread || m.thread === opts.thread)) {
          replies.push(m);
          onReply(m);
        }
      });
      try {
        const id = client.send(to, body, { thread: opts.thread });
        client.on('daemonError', (e) => {
          if (e.replyTo === id) refusal = e;
        });
        // The daemon answers frames in order: once this query returns, any refusal of the SEND has arrived.
        await client.status();
        if (refusal) throw new CliError(`${refusal.code}: ${refusalSentence(refusal, to)}`, 1, refusal.code);
        if (replies.length === 0 && opts.wait > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, opts.wait);
            onReply = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        const reply = replies[0];
        if (opts.json) {
          ctx.printJson({ id, to, reply: reply ? { id: reply.id, from: reply.from, body: reply.body, thread: reply.thread } : null });
        } else {
          ctx.print(`Sent to ${to}.`);
          if (reply) ctx.print(`Reply from ${reply.from}: ${reply.body}`);
        }
      } catch (err) {
        throw toCliError(err);
      } finally {
        await client.disconnect().catch(() => {});
      }
    });
}
