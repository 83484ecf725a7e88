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

describe('headless screen as text (what agent profiles read)', () => {
  it('gives the visible rows, the cursor and the modes, after everything written so far', async () => {
    const screen = new HeadlessScreen(40, 6);
    try {
      // Cursor-positioned drawing, as Claude Code draws its answer: no newline between the words.
      screen.write(Buffer.from('\x1b[2J\x1b[H\x1b[1;32mtitle\x1b[0m\r\n\x1b[2C\x1b[1B->relay:Bob\x1b[15Ghi there'));
      screen.write(Buffer.from('\x1b[6;1H❯ typed'));
      const text = (await screen.readText())!;
      expect(text.lines).toEqual(['title', '', '  ->relay:Bob hi there', '', '', '❯ typed']);
      expect(text.cursor).toEqual({ x: 7, y: 5 });
      expect(text.altScreen).toBe(false);
      expect(text.bracketedPaste).toBe(false);
      expect(text.solid).toEqual(text.lines);
      screen.write(Buffer.from('\x1b[4;1H❯ \x1b[7mT\x1b[0m\x1b[2mry "help"\x1b[0m'));
      const faint = (await screen.readText())!;
      expect(faint.lines[3]).toBe('❯ Try "help"');
      expect(faint.solid![3]).toBe('❯ T');
      expect(text.offset).toBeGreaterThan(0);
      screen.write(Buffer.from('\x1b[?2004h\x1b[?1049h\x1b[Hfull screen'));
      const alt = (await screen.readText())!;
      expect(alt.altScreen).toBe(true);
      expect(alt.bracketedPaste).toBe(true);
      expect(alt.lines[0]).toBe('full screen');
    } finally {
      screen.dispose();
    }
    expect(await screen.readText()).toBeUndefined();
  });

  it('shows the bottom of the buffer once output scrolls', async () => {
    const screen = new HeadlessScreen(20, 3);
    try {
      screen.write(Buffer.from(Array.from({ length: 50 }, (_, i) => `line ${i}\r\n`).join('')));
      const text = (await screen.readText())!;
      expect(text.lines[0]).toMatch(/^line 48/);
      expect(text.lines[1]).toMatch(/^line 49/);
      expect(text.lines[2]).toBe('');
      expect(text.cursor.y).toBe(2);
    } finally {
      screen.dispose();
    }
  });
});

describe('headless screen: relay commands read on the screen thread', () => {
  it('reports the commands a cursor-drawn TUI shows, once, in order, and all of them by flushCommands', async () => {
    const found: unknown[] = [];
    const screen = new HeadlessScreen(80, 24, { onCommands: (commands) => found.push(...commands) });
    try {
      // Drawn as Claude Code draws (cursor jumps instead of spaces, no newline), then repainted twice.
      const frame = '\x1b[H\r\x1b[2C\x1b[1B->relay:Bob\x1b[15Ghello-via-output\r\x1b[1B\x1b[1B⠋ working';
      screen.write(Buffer.from(frame));
      screen.write(Buffer.from(frame.replace('⠋', '⠙')));
      screen.write(Buffer.from('\x1b[H\x1b[4B->relay:Ann second\r\n'));
      await screen.flushCommands();
      expect(found).toEqual([
        { type: 'message', to: 'Bob', body: 'hello-via-output' },
        { type: 'message', to: 'Ann', body: 'second' },
      ]);
      // A resize reflows what is on the screen: nothing is sent again.
      screen.resize(40, 10);
      screen.write(Buffer.from('\r\nmore\r\n'));
      await screen.flushCommands();
      expect(found).toHaveLength(2);
    } finally {
      screen.dispose();
    }
  });

  it('acts on a complete line after it settles, without a flush', async () => {
    const found: unknown[] = [];
    const screen = new HeadlessScreen(80, 24, { onCommands: (commands) => found.push(...commands) });
    try {
      screen.write(Buffer.from("->relay:Bob plain echo\r\n$ "));
      const deadline = Date.now() + 10_000;
      while (found.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(found).toEqual([{ type: 'message', to: 'Bob', body: 'plain echo' }]);
    } finally {
      screen.dispose();
    }
  });
});
