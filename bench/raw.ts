import { createHash } from 'node:crypto';
import { createServer, createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import * as pty from 'node-pty';
import { encodeFrame, FrameParser } from '../lib/protocol';
import { msSince, percentile } from './stats';

/**
 * The raw baselines: the same work as each e2e section with nothing of ours in between, measured in
 * this process in the same run, so a ratio holds on a shared, noisy machine.
 */

export const FLOOD_SCRIPT = join(import.meta.dirname, 'fixtures', 'flood.mjs');
const PTY_ENV = { ...process.env, TERM: 'xterm-256color' } as Record<string, string>;

export interface StreamRun {
  bytes: number;
  sha256: string;
  /** first byte to last byte, so process start-up is not counted on either side */
  ms: number;
}

/** node-pty reading the flood command in this bare process. */
export function rawStream(floodBytes: number): Promise<StreamRun> {
  return new Promise((resolve, reject) => {
    const child = pty.spawn(process.execPath, [FLOOD_SCRIPT, String(floodBytes)], {
      name: 'xterm-256color', cols: 120, rows: 32, cwd: process.cwd(), env: PTY_ENV, encoding: null,
    } as pty.IPtyForkOptions);
    const hash = createHash('sha256');
    let bytes = 0;
    let first = 0n;
    let last = 0n;
    child.onData((chunk) => {
      const now = process.hrtime.bigint();
      if (!first) first = now;
      last = now;
      const buf = chunk as unknown as Buffer;
      bytes += buf.length;
      hash.update(buf);
    });
    child.onExit(() => {
      // node-pty may still deliver queued data right after exit; give it a tick.
      setTimeout(() => {
        if (!first) return reject(new Error('raw stream: no output from the flood producer'));
        resolve({ bytes, sha256: hash.digest('hex'), ms: Number(last - first) / 1e6 });
      }, 50);
    });
  });
}

export interface Latencies {
  p50: number;
  p99: number;
  samples: number[];
}

export function latencies(samples: number[]): Latencies {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), samples };
}

/** Keystroke echo through node-pty to `stty raw -echo; cat` in this process. */
export async function rawEcho(keystrokes: number): Promise<Latencies> {
  const child = pty.spawn('bash', ['-c', 'stty raw -echo; exec cat'], {
    name: 'xterm-256color', cols: 120, rows: 32, cwd: process.cwd(), env: PTY_ENV, encoding: null,
  } as pty.IPtyForkOptions);
  let waiter: ((data: Buffer) => void) | undefined;
  child.onData((d) => waiter?.(d as unknown as Buffer));
  try {
    await waitForEcho(child, (fn) => (waiter = fn));
    const samples: number[] = [];
    for (let i = 0; i < keystrokes; i++) {
      const key = String.fromCharCode(97 + (i % 26));
      const start = process.hrtime.bigint();
      await new Promise<void>((resolve) => {
        waiter = (d) => {
          if (d.includes(key)) resolve();
        };
        child.write(key);
      });
      samples.push(msSince(start));
    }
    return latencies(samples);
  } finally {
    child.kill('SIGKILL');
  }
}

/** `stty raw` runs after the PTY starts: probe until a byte comes back so the first sample is not start-up. */
async function waitForEcho(child: pty.IPty, setWaiter: (fn: (d: Buffer) => void) => void): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 100);
      setWaiter((d) => {
        if (d.includes('!')) {
          clearTimeout(t);
          resolve(true);
        }
      });
      child.write('!');
    });
    if (ok) {
      // swallow any further echoes of earlier probes
      await new Promise((r) => setTimeout(r, 50));
      return;
    }
    if (Date.now() > deadline) throw new Error('raw echo: `stty raw -echo; cat` never echoed');
  }
}

/** Protocol framing over a bare Unix-socket echo server in this process: SEND out, DELIVER back. */
export async function rawRoute(socketPath: string, pings: number): Promise<Latencies> {
  const server = createServer((conn) => {
    const parser = new FrameParser();
    conn.on('data', (data) => {
      for (const frame of parser.push(data)) {
        conn.write(encodeFrame({ ...frame, type: 'DELIVER', delivery: { seq: 1, session_id: 's' } }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  const client: Socket = createConnection(socketPath);
  await new Promise<void>((resolve, reject) => client.once('error', reject).once('connect', resolve));
  client.setNoDelay?.(true);
  const parser = new FrameParser();
  let waiter: ((id: string) => void) | undefined;
  client.on('data', (data) => {
    for (const frame of parser.push(data)) waiter?.(frame.id as string);
  });
  try {
    const samples: number[] = [];
    for (let i = 0; i < pings; i++) {
      const id = `m${i}`;
      const start = process.hrtime.bigint();
      await new Promise<void>((resolve) => {
        waiter = (got) => got === id && resolve();
        client.write(encodeFrame({ v: 1, type: 'SEND', id, ts: Date.now(), to: 'b', payload: { kind: 'message', body: `ping ${i}` } }));
      });
      samples.push(msSince(start));
    }
    return latencies(samples);
  } finally {
    client.destroy();
    await new Promise((r) => server.close(r));
  }
}

/**
 * The spawn section's baseline: node-pty in the bench process starts the same command and is timed
 * to its first output byte (no HTTP, no cgroup or guard shell, no socket.io, a small parent to fork).
 */
export async function rawSpawnFirstByte(file: string, args: string[]): Promise<number> {
  const start = process.hrtime.bigint();
  const child = pty.spawn(file, args, { name: 'xterm-256color', cols: 120, rows: 32, encoding: null } as pty.IPtyForkOptions);
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`raw spawn: no output from ${file} within 10 s`)), 10_000);
      child.onData(() => {
        clearTimeout(t);
        resolve();
      });
    });
    return msSince(start);
  } finally {
    child.kill('SIGKILL');
  }
}
