import { SerializeAddon } from '@xterm/addon-serialize';
import xtermHeadless from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { HeadlessScreen } from '../../server/spawn/screen';

/** What a fresh terminal shows after exactly `bytes`. */
async function screenOf(bytes: Buffer, cols: number, rows: number): Promise<string> {
  const term = new xtermHeadless.Terminal({ cols, rows, scrollback: 1000, allowProposedApi: true });
  const ser = new SerializeAddon();
  term.loadAddon(ser);
  await new Promise<void>((r) => term.write(bytes, r));
  const out = ser.serialize();
  term.dispose();
  return out;
}

const lines = (from: number, to: number) =>
  Buffer.from(Array.from({ length: to - from }, (_, i) => `\x1b[3${(from + i) % 8}mline ${from + i}\x1b[0m ${'y'.repeat((from + i) % 70)}\r\n`).join(''));

describe('headless screen (batched writes to the screen thread)', () => {
  it('a snapshot right after small writes covers every byte written', async () => {
    const screen = new HeadlessScreen(80, 24);
    try {
      const chunks = [lines(0, 3), lines(3, 4), Buffer.from('prompt> ')];
      for (const c of chunks) screen.write(c);
      const snap = await screen.snapshot();
      const all = Buffer.concat(chunks);
      expect(snap.offset).toBe(all.length);
      expect(snap.data).toBe(await screenOf(all, 80, 24));
    } finally {
      screen.dispose();
    }
  });

  it('a snapshot during a flood (part sent to the thread, part still gathering) is exact at its offset', async () => {
    const screen = new HeadlessScreen(100, 30);
    try {
      const all = lines(0, 6000);
      for (let at = 0; at < all.length; at += 4095) screen.write(all.subarray(at, at + 4095));
      screen.write(Buffer.from('\x1b[2J\x1b[Hcleared'));
      const snap = await screen.snapshot();
      const expected = Buffer.concat([all, Buffer.from('\x1b[2J\x1b[Hcleared')]);
      expect(snap.offset).toBe(expected.length);
      expect(snap.data).toBe(await screenOf(expected, 100, 30));
    } finally {
      screen.dispose();
    }
  });

  it("leaves the caller's chunks intact (they are shared with the ring and the viewers)", async () => {
    const screen = new HeadlessScreen(80, 24);
    try {
      const big = lines(0, 2000);
      const small = Buffer.from('tail\r\n');
      const copies = [Buffer.from(big), Buffer.from(small)];
      screen.write(big);
      screen.write(small);
      await screen.snapshot();
      expect(big.equals(copies[0])).toBe(true);
      expect(small.equals(copies[1])).toBe(true);
    } finally {
      screen.dispose();
    }
  });
});
