import * as pty from 'node-pty';
import { constants as osConstants } from 'node:os';

/**
 * node-pty with the tail-loss bug worked around (microsoft/node-pty#72).
 *
 * Why the tail gets lost: when the child exits, node-pty's native waitpid thread calls its JS
 * `onexit`. If the master socket has not reached EIO yet (our reader is behind: the event loop was
 * busy, or the PTY was paused), node-pty arms a 200 ms timer that calls `_socket.destroy()`. Any
 * bytes still in the kernel's PTY buffer are then thrown away, and `exit` fires.
 *
 * The fix: we replace `destroy` on that socket instance. A destroy that does not come from the
 * stream itself reaching its end (EIO / close) is deferred: we keep reading until the kernel says
 * EIO, which on Linux happens only after every byte the slave side wrote has been read. Only if the
 * PTY stays open and silent for `lingerMs` after the child exited (a background grandchild still
 * holds the slave) do we destroy for real, so exit is never withheld forever.
 * `end` is emitted once, after the last `data`, with the child's exit code or signal.
 */

export interface DrainedPtyOptions {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
  /** After the child exited, how long a silent-but-open PTY is kept before giving up on EOF. */
  lingerMs?: number;
}

export interface PtyEnd {
  exitCode: number | null;
  signal: string | null;
  /** true when EOF was reached (every byte read); false when we gave up after lingerMs. */
  drained: boolean;
}

export interface DrainedPty {
  readonly pid: number;
  readonly process: pty.IPty;
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  onData(listener: (chunk: Buffer) => void): void;
  onEnd(listener: (end: PtyEnd) => void): void;
}

const DEFAULT_LINGER_MS = 3000;

interface NodePtyInternals {
  _socket: { destroy: (err?: Error) => unknown; destroyed?: boolean; on(event: string, fn: (...a: unknown[]) => void): void };
}

export function spawnDrainedPty(options: DrainedPtyOptions): DrainedPty {
  const child = pty.spawn(options.file, options.args, {
    name: 'xterm-256color',
    cols: options.cols,
    rows: options.rows,
    cwd: options.cwd,
    env: options.env,
    // Buffers, not strings: output is raw bytes and must never be decoded and re-encoded.
    encoding: null,
  } as pty.IPtyForkOptions);

  const socket = (child as unknown as NodePtyInternals)._socket;
  const realDestroy = socket.destroy.bind(socket);
  let streamEnded = false;
  let gaveUp = false;
  let lingerTimer: NodeJS.Timeout | undefined;
  let lastDataAt = Date.now();

  const giveUpIfSilent = (): void => {
    const lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
    const silentFor = Date.now() - lastDataAt;
    if (silentFor >= lingerMs) {
      gaveUp = true;
      realDestroy();
      return;
    }
    lingerTimer = setTimeout(giveUpIfSilent, lingerMs - silentFor);
    lingerTimer.unref?.();
  };

  socket.destroy = (err?: Error) => {
    // The stream destroying itself after EIO (err set) or after close is the real end.
    if (err || streamEnded || socket.destroyed) return realDestroy(err);
    // node-pty's post-exit timer (or anyone else) asked to destroy while bytes may be pending.
    if (!lingerTimer) giveUpIfSilent();
    return socket;
  };
  socket.on('close', () => {
    streamEnded = true;
    if (lingerTimer) clearTimeout(lingerTimer);
  });

  const dataListeners: Array<(chunk: Buffer) => void> = [];
  const endListeners: Array<(end: PtyEnd) => void> = [];
  child.onData((chunk) => {
    lastDataAt = Date.now();
    const buf = chunk as unknown as Buffer;
    for (const l of dataListeners) l(buf);
  });
  // node-pty emits `exit` only after its socket closed, i.e. after our deferred destroy let it.
  child.onExit(({ exitCode, signal }) => {
    const drained = !gaveUp;
    const signalName = signal ? signalNameOf(signal) : null;
    const end: PtyEnd = { exitCode: signalName ? null : exitCode, signal: signalName, drained };
    for (const l of endListeners) l(end);
  });

  return {
    pid: child.pid,
    process: child,
    write: (data) => child.write(data as string),
    resize: (cols, rows) => child.resize(cols, rows),
    pause: () => child.pause(),
    resume: () => child.resume(),
    onData: (l) => void dataListeners.push(l),
    onEnd: (l) => void endListeners.push(l),
  };
}

export function signalNameOf(signal: number): string {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === signal) return name;
  return `SIG${signal}`;
}
