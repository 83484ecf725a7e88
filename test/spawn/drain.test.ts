import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnDrainedPty } from '../../server/spawn';
import { exitOf, makeFixture, type SpawnFixture } from './helpers';

/**
 * Proof of the drain-to-EOF fix (node-pty#72): every byte a worker prints before it exits is
 * delivered, logged and readable, byte for byte.
 */

const SIZE = 20_000_000;
// Deterministic bytes without newlines (no \n -> \r\n translation by the terminal): a-z repeating.
const PRODUCER = `let n=0;const N=${SIZE};function w(){while(n<N){const b=Buffer.alloc(Math.min(65536,N-n));for(let i=0;i<b.length;i++)b[i]=97+((n+i)%26);n+=b.length;if(!process.stdout.write(b))return process.stdout.once('drain',w);}}w();`;

function expectedHash(): string {
  const h = createHash('sha256');
  const cycle = Buffer.alloc(65536 * 26);
  for (let i = 0; i < cycle.length; i++) cycle[i] = 97 + (i % 26);
  let n = 0;
  while (n < SIZE) {
    const len = Math.min(65536, SIZE - n);
    h.update(cycle.subarray(n % 26, (n % 26) + len));
    n += len;
  }
  return h.digest('hex');
}

function fileHash(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}

let fx: SpawnFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

describe('drain to EOF before exit', () => {
  const expected = expectedHash();

  it('a worker printing 20 MB and exiting loses no byte, 20 runs out of 20', async () => {
    fx = makeFixture();
    const m = fx.manager;
    for (let run = 0; run < 20; run++) {
      const name = `flood${run}`;
      const live = createHash('sha256');
      let liveBytes = 0;
      let exitSeenAt = -1;
      const onOutput = (n: string, chunk: Buffer) => {
        if (n !== name) return;
        expect(exitSeenAt).toBe(-1); // no output after exit
        live.update(chunk);
        liveBytes += chunk.length;
      };
      const onExit = (info: { name: string }) => {
        if (info.name === name) exitSeenAt = liveBytes;
      };
      m.on('output', onOutput);
      m.on('exit', onExit);
      await m.spawn({ name, cli: process.execPath, args: ['-e', PRODUCER] });
      const info = await exitOf(m, name);
      m.off('output', onOutput);
      m.off('exit', onExit);

      expect(info.exitCode).toBe(0);
      expect(info.outputBytes).toBe(SIZE);
      expect(exitSeenAt).toBe(SIZE);
      expect(live.digest('hex')).toBe(expected);
      expect(await fileHash(join(fx.dataDir, 'logs', `${name}.log`))).toBe(expected);
      const read = createHash('sha256');
      let since = 0;
      for (;;) {
        const slice = await m.readOutput(name, since, 8 * 1024 * 1024);
        if (slice.data.length === 0) break;
        read.update(slice.data);
        since = slice.start + slice.data.length;
      }
      expect(since).toBe(SIZE);
      expect(read.digest('hex')).toBe(expected);
      m.remove(name, { deleteLog: true });
    }
  }, 300_000);

  it('keeps every byte even when the reader is paused while the child exits', async () => {
    // Plain node-pty loses the tail in exactly this situation: its 200 ms post-exit timer destroys
    // the socket while bytes are still in the kernel buffer.
    for (let run = 0; run < 3; run++) {
      const result = await new Promise<{ bytes: number; hash: string; code: number | null; drained: boolean }>((resolve) => {
        const h = createHash('sha256');
        let bytes = 0;
        const p = spawnDrainedPty({ file: process.execPath, args: ['-e', PRODUCER], cwd: process.cwd(), env: { ...process.env } as Record<string, string>, cols: 80, rows: 24 });
        p.onData((chunk) => {
          const before = bytes;
          bytes += chunk.length;
          h.update(chunk);
          // The last few KB fit in the kernel's PTY buffer: the child finishes and exits while we sleep.
          if (before < SIZE - 5000 && bytes >= SIZE - 5000) {
            p.pause();
            setTimeout(() => p.resume(), 500);
          }
        });
        p.onEnd((end) => resolve({ bytes, hash: h.digest('hex'), code: end.exitCode, drained: end.drained }));
      });
      expect(result).toEqual({ bytes: SIZE, hash: expected, code: 0, drained: true });
    }
  }, 120_000);

  it('passes through output that looks like the end marker but carries another nonce', async () => {
    const fake = '\x1b]6973;relay-end;notthenonce;0\x07after';
    const result = await new Promise<string>((resolve) => {
      const parts: Buffer[] = [];
      const p = spawnDrainedPty({ file: process.execPath, args: ['-e', `process.stdout.write(${JSON.stringify(fake)})`], cwd: process.cwd(), env: { ...process.env } as Record<string, string>, cols: 80, rows: 24 });
      p.onData((c) => parts.push(c));
      p.onEnd(() => resolve(Buffer.concat(parts).toString('latin1')));
    });
    expect(result).toBe(fake);
  });
});
