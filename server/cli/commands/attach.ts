import { StringDecoder } from 'node:string_decoder';
import type { Command } from 'commander';
import { connectRealtime, findDashboard } from '../dashboard';
import { CliError, type CliContext } from '../context';

/** Ctrl-] detaches, as in telnet: a byte no agent CLI binds, so nothing is lost by reserving it. */
export const DETACH_BYTE = 0x1d;
const CLEAR_SCREEN = '\x1b[H\x1b[2J\x1b[3J';
const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];

/**
 * `agent-relay attach <name>`: this terminal becomes the worker's terminal (like tmux attach).
 * Raw mode in, snapshot then live bytes out, resize forwarded; Ctrl-] detaches and leaves the worker running.
 */
async function attach(ctx: CliContext, name: string): Promise<void> {
  const access = await findDashboard(ctx);
  const socket = await connectRealtime(access);
  const stdin = process.stdin;
  const stdout = process.stdout;
  const rawMode = stdin.isTTY === true;
  let next = 0;
  let warnedNotDriver = false;

  const size = () => ({ cols: stdout.columns || 120, rows: stdout.rows || 32 });
  const note = (text: string) => stdout.write(`\r\n[agent-relay: ${text}]\r\n`);

  await new Promise<void>((resolve, reject) => {
    let done = false;
    const decoder = new StringDecoder('utf8');
    const finish = (message?: string, error?: Error) => {
      if (done) return;
      done = true;
      stdin.off('data', onInput);
      stdout.off('resize', onResize);
      for (const signal of SIGNALS) process.off(signal, onSignal);
      if (rawMode) stdin.setRawMode(false);
      stdin.pause();
      socket.emit('worker:detach', { name });
      socket.close();
      if (message) note(message);
      if (error) reject(error);
      else resolve();
    };
    const forward = (data: string) => {
      if (!data) return;
      socket.emit('worker:input', { name, data }, (r) => {
        if (r.ok || warnedNotDriver) return;
        warnedNotDriver = true;
        note(r.error?.code === 'NOT_DRIVER' ? 'another viewer is driving; your keys are ignored (Ctrl-] detaches)' : `${r.error?.code}: ${r.error?.message}`);
      });
    };
    const onInput = (chunk: Buffer) => {
      const at = chunk.indexOf(DETACH_BYTE);
      if (at === -1) return forward(decoder.write(chunk));
      forward(decoder.write(chunk.subarray(0, at)) + decoder.end());
      finish(`detached from ${name}; it keeps running`);
    };
    const onResize = () => socket.emit('worker:resize', { name, ...size() });
    // Killed while attached: put the terminal back before going.
    const onSignal = (signal: NodeJS.Signals) => finish(`detached (${signal}); ${name} keeps running`);
    for (const signal of SIGNALS) process.once(signal, onSignal);

    socket.on('worker:snapshot', (snap) => {
      if (snap.name !== name) return;
      stdout.write(CLEAR_SCREEN + snap.data);
      next = snap.offset;
      socket.emit('worker:ack', { name, offset: next });
    });
    socket.on('worker:output', (worker, start, data) => {
      if (worker !== name) return;
      const bytes = Buffer.from(data);
      const fresh = start < next ? bytes.subarray(Math.min(bytes.length, next - start)) : bytes;
      if (fresh.length > 0) stdout.write(fresh);
      next = Math.max(next, start + bytes.length);
      // Ack after the write was handed to the terminal, as the dashboard acks from xterm's write callback.
      socket.emit('worker:ack', { name, offset: next });
    });
    socket.on('worker:exit', (info) => {
      if (info.name !== name) return;
      finish(`${name} exited${info.signal ? ` (signal ${info.signal})` : ` with code ${info.exitCode ?? '?'}`}`);
    });
    socket.on('disconnect', (reason) => finish(`the dashboard connection closed (${reason})`));

    socket.emit('worker:attach', { name }, (result) => {
      if (!result.ok) return finish(undefined, new CliError(`${result.error?.code}: ${result.error?.message}`, 1, result.error?.code));
      if (result.worker?.status === 'exited') return finish(`${name} has exited; its log: agent-relay logs ${name}`);
      socket.emit('worker:drive', { name }, () => onResize());
      if (rawMode) stdin.setRawMode(true);
      stdin.on('data', onInput);
      stdin.resume();
      stdout.on('resize', onResize);
    });
  });
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('attach <name>')
    .description("make this terminal the worker's terminal; Ctrl-] detaches (the worker keeps running)")
    .action((name: string) => attach(ctx, name));
}
