import type { Command } from 'commander';
import { apiRequest, connectRealtime, findDashboard, type DashboardAccess } from '../dashboard';
import { CliError, type CliContext } from '../context';

/** Prints everything the worker has written so far; returns the offset after the last byte printed. */
async function printHistory(ctx: CliContext, access: DashboardAccess, name: string): Promise<number> {
  let since = 0;
  for (;;) {
    let res: Response;
    try {
      res = await apiRequest(access, 'GET', `/api/workers/${encodeURIComponent(name)}/output?since=${since}`);
    } catch (err) {
      const gap = (err as CliError & { gap?: { from: number; to: number } }).gap;
      if ((err as CliError).code !== 'OUTPUT_GAP' || !gap || gap.to <= since) throw err;
      // Bytes the log lost (the disk was full): said on stderr, and the rest is printed.
      ctx.stderr.write(`agent-relay: ${(err as Error).message.replace(/^OUTPUT_GAP: /, '')}\n`);
      since = gap.to;
      continue;
    }
    const start = Number(res.headers.get('X-Output-Offset') ?? since);
    const end = Number(res.headers.get('X-Output-End') ?? start);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > 0) ctx.stdout.write(bytes);
    since = start + bytes.length;
    if (bytes.length === 0 || since >= end) return since;
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('logs <name>')
    .description("print a worker's output (raw bytes, colours included)")
    .option('-f, --follow', 'keep printing new output until Ctrl-C or the worker exits')
    .action(async (name: string, opts: { follow?: boolean }) => {
      const access = await findDashboard(ctx);
      const offset = await printHistory(ctx, access, name);
      if (!opts.follow) return;
      const socket = await connectRealtime(access);
      let next = offset;
      await new Promise<void>((resolve, reject) => {
        socket.on('worker:output', (worker, start, data) => {
          if (worker !== name) return;
          const bytes = Buffer.from(data);
          // Skip what was already printed; offsets make the hand-over from HTTP to live exact.
          const fresh = start < next ? bytes.subarray(Math.min(bytes.length, next - start)) : bytes;
          if (fresh.length > 0) ctx.stdout.write(fresh);
          next = Math.max(next, start + bytes.length);
          socket.emit('worker:ack', { name, offset: next });
        });
        socket.on('worker:snapshot', (snap) => {
          // Fell too far behind: the server moved us to a screen snapshot. Print it and go on from there.
          ctx.stdout.write(`\r\n[agent-relay: output skipped; current screen follows]\r\n${snap.data}`);
          next = snap.offset;
          socket.emit('worker:ack', { name, offset: next });
        });
        socket.on('worker:exit', (info) => {
          if (info.name === name) resolve();
        });
        socket.on('disconnect', () => resolve());
        process.once('SIGINT', () => resolve());
        socket.emit('worker:attach', { name, since: offset }, (result) => {
          if (!result.ok) reject(new CliError(`${result.error?.code}: ${result.error?.message}`, 1, result.error?.code));
          else if (result.worker?.status === 'exited') resolve();
        });
      }).finally(() => socket.close());
    });
}
