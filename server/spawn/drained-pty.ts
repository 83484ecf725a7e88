import { randomBytes } from 'node:crypto';
import * as pty from 'node-pty';
import { constants as osConstants } from 'node:os';

/**
 * node-pty without losing the tail of a child's output at exit (microsoft/node-pty#72).
 *
 * Two things lose bytes when the child exits while our reader is behind (event loop busy, PTY
 * paused for flow control):
 *  1. node-pty arms a 200 ms timer after exit that destroys the master socket, discarding what
 *     the kernel still holds;
 *  2. the kernel itself: the child is the session leader, and when a session leader exits its
 *     controlling terminal is hung up, which flushes output still queued towards the master.
 *     No reader, however fast, can be sure to win that race.
 *
 * So the child never is the session leader: a tiny `/bin/sh` guard is. It runs the command in the
 * foreground (same process group, so signals to the group reach both), and when the command ends
 * it prints an end marker carrying a per-spawn nonce and the exit status, then waits until we
 * answer with the nonce. We answer only after reading the marker, so every byte the command wrote
 * has been read before the session leader exits. Bytes from the marker on are ours and are never
 * emitted. The guard traps INT/TERM/QUIT/HUP with a no-op so it outlives the command's own handling of
 * them (handlers, unlike ignores, are not inherited across exec). If the guard itself is killed
 * (SIGKILL), there is no marker; `end.drained` is then false and the exit is the guard's.
 * Additionally node-pty's post-exit destroy is deferred until EOF, bounded by `lingerMs`.
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
  /**
   * A cgroup's `cgroup.procs`: the guard writes its own pid there before it starts the command, so
   * the command and everything it forks are born inside (no window in which a child escapes).
   */
  joinCgroup?: string;
  /** Argv prefix the guard runs under (e.g. `systemd-run --user --scope …`), which execs it in place. */
  wrapper?: string[];
}

export interface PtyEnd {
  exitCode: number | null;
  signal: string | null;
  /** true when the end marker proved every byte was read. */
  drained: boolean;
}

export interface DrainedPty {
  /** The guard's pid: session leader and process group id of the worker. */
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
const GUARD_SHELL = '/bin/sh';
// $1: nonce; $2: a cgroup.procs file to join, or empty; the rest: the command. `stty sane -echo` so
// the answer is read whatever mode the command left the terminal in; the loop ignores stale typed
// lines that are not the nonce. A failed join is silent here: the SpawnManager notices and sweeps.
const GUARD_SCRIPT = [
  'n=$1; g=$2; shift 2',
  '[ -z "$g" ] || { echo $$ > "$g"; } 2>/dev/null',
  'trap : INT TERM QUIT HUP',
  '"$@"',
  'c=$?',
  "printf '\\033]6973;relay-end;%s;%s\\007' \"$n\" \"$c\"",
  'stty sane -echo 2>/dev/null',
  'while read -r l; do [ "$l" = "$n" ] && break; done',
  'exit "$c"',
].join('\n');

interface NodePtyInternals {
  _socket: { destroy: (err?: Error) => unknown; destroyed?: boolean; on(event: string, fn: (...a: unknown[]) => void): void };
}

export function spawnDrainedPty(options: DrainedPtyOptions): DrainedPty {
  const nonce = randomBytes(9).toString('hex');
  const guard = [GUARD_SHELL, '-c', GUARD_SCRIPT, 'agent-relay-guard', nonce, options.joinCgroup ?? '', options.file, ...options.args];
  const argv = [...(options.wrapper ?? []), ...guard];
  const child = pty.spawn(argv[0], argv.slice(1), {
    name: 'xterm-256color',
    cols: options.cols,
    rows: options.rows,
    cwd: options.cwd,
    env: options.env,
    // Buffers, not strings: output is raw bytes and must never be decoded and re-encoded.
    encoding: null,
  } as pty.IPtyForkOptions);

  const marker = Buffer.from(`\x1b]6973;relay-end;${nonce};`);
  let held = Buffer.alloc(0);
  let markerStatus: number | undefined;
  let afterMarker: Buffer | undefined;

  const dataListeners: Array<(chunk: Buffer) => void> = [];
  const endListeners: Array<(end: PtyEnd) => void> = [];
  const emit = (chunk: Buffer) => {
    if (chunk.length > 0) for (const l of dataListeners) l(chunk);
  };

  const onRaw = (chunk: Buffer): void => {
    if (afterMarker) {
      readStatus(chunk);
      return;
    }
    const buf = held.length ? Buffer.concat([held, chunk]) : chunk;
    const at = buf.indexOf(marker);
    if (at >= 0) {
      held = Buffer.alloc(0);
      emit(buf.subarray(0, at));
      afterMarker = Buffer.alloc(0);
      readStatus(buf.subarray(at + marker.length));
      return;
    }
    // Hold back a tail that could be the start of the marker split across reads.
    const keep = partialMarkerSuffix(buf, marker);
    held = keep ? Buffer.from(buf.subarray(buf.length - keep)) : Buffer.alloc(0);
    emit(keep ? buf.subarray(0, buf.length - keep) : buf);
  };

  const readStatus = (chunk: Buffer): void => {
    if (markerStatus !== undefined || !afterMarker) return;
    afterMarker = Buffer.concat([afterMarker, chunk]);
    const bell = afterMarker.indexOf(0x07);
    if (bell < 0) return;
    markerStatus = Number(afterMarker.subarray(0, bell).toString('latin1'));
    // Everything is read: let the guard (the session leader) exit.
    child.write(`${nonce}\n`);
  };

  const socket = (child as unknown as NodePtyInternals)._socket;
  const realDestroy = socket.destroy.bind(socket);
  let streamEnded = false;
  let lingerTimer: NodeJS.Timeout | undefined;
  let lastDataAt = Date.now();
  const giveUpIfSilent = (): void => {
    const lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
    const silentFor = Date.now() - lastDataAt;
    if (silentFor >= lingerMs) {
      realDestroy();
      return;
    }
    lingerTimer = setTimeout(giveUpIfSilent, lingerMs - silentFor);
    lingerTimer.unref?.();
  };
  socket.destroy = (err?: Error) => {
    // The stream destroying itself (EIO, EOF) is the real end; node-pty's post-exit timer is not.
    if (err || streamEnded || socket.destroyed || markerStatus !== undefined) return realDestroy(err);
    if (!lingerTimer) giveUpIfSilent();
    return socket;
  };
  socket.on('end', () => (streamEnded = true));
  socket.on('close', () => {
    streamEnded = true;
    if (lingerTimer) clearTimeout(lingerTimer);
  });

  child.onData((chunk) => {
    lastDataAt = Date.now();
    onRaw(chunk as unknown as Buffer);
  });
  child.onExit(({ exitCode, signal }) => {
    if (markerStatus === undefined && held.length) emit(held);
    held = Buffer.alloc(0);
    let end: PtyEnd;
    if (markerStatus !== undefined) {
      // A shell reports death by signal N as 128+N.
      const sig = markerStatus > 128 && markerStatus < 128 + 65 ? signalNameOf(markerStatus - 128) : null;
      end = { exitCode: sig ? null : markerStatus, signal: sig, drained: true };
    } else {
      const sig = signal ? signalNameOf(signal) : null;
      end = { exitCode: sig ? null : exitCode, signal: sig, drained: false };
    }
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

/** Length of the longest suffix of `buf` that is a proper prefix of `marker`. */
function partialMarkerSuffix(buf: Buffer, marker: Buffer): number {
  const max = Math.min(buf.length, marker.length - 1);
  for (let len = max; len > 0; len--) {
    if (buf[buf.length - len] !== 0x1b) continue;
    if (buf.subarray(buf.length - len).equals(marker.subarray(0, len))) return len;
  }
  return 0;
}

export function signalNameOf(signal: number): string {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === signal) return name;
  return `SIG${signal}`;
}
