import { InvalidArgumentError, type Command } from 'commander';
import { InjectActionSchema, type InjectAction, type InjectionState } from '../../../lib/protocol';
import { withClient, type CliContext } from '../context';
import { CLI_USER } from './spawn';

/** What the worker's deliveries look like now, in one sentence. */
export function describeInjection(name: string, s: InjectionState | undefined, flushed: number, action: InjectAction): string {
  if (!s) return `Deliveries to ${name}: ${action}.`;
  const queued = s.pending === 1 ? '1 message waits' : `${s.pending} messages wait`;
  if (action === 'flush') {
    const what = flushed === 0 ? 'Nothing was held' : `Released ${flushed} held message${flushed === 1 ? '' : 's'}; they are typed one at a time when ${name} is ready`;
    return s.mode === 'hold'
      ? `${what}. Still holding what arrives next (agent-relay inject auto ${name} resumes).`
      : `${what}: deliveries to ${name} are automatic (flush only releases a hold).`;
  }
  if (s.mode === 'hold') return `Holding deliveries to ${name}${s.pending ? ` (${queued})` : ''}. Release them with: agent-relay inject flush ${name}, or auto.`;
  return `Deliveries to ${name} are automatic${s.pending ? ` (${queued}${s.waiting ? `: ${s.waiting.reason}` : ''})` : ''}.`;
}

function parseAction(value: string): InjectAction {
  const parsed = InjectActionSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError('Use hold, flush or auto.');
  return parsed.data;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('inject')
    .description('hold a worker\'s incoming messages while you steer it (hold), type the held ones now (flush), or deliver as usual (auto)')
    .argument('<mode>', 'hold, flush or auto', parseAction)
    .argument('<name>', 'the worker')
    .option('--json', 'print JSON')
    .action(async (action: InjectAction, name: string, opts: { json?: boolean }) => {
      await withClient(ctx, CLI_USER, async (client) => {
        const result = await client.setInjectMode(name, action);
        if (opts.json) return ctx.printJson({ name, ...result });
        ctx.print(describeInjection(name, result.injection, result.flushed, action));
      });
    });
}
