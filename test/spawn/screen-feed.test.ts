import { SerializeAddon } from '@xterm/addon-serialize';
import xtermHeadless from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { createScreenFeed } from '../../server/spawn/screen-feed.mjs';
import { HeadlessScreen } from '../../server/spawn/screen';

type Term = InstanceType<typeof xtermHeadless.Terminal>;

const titles = new WeakMap<Term, string[]>();

function makeTerm(cols: number, rows: number): { term: Term; ser: SerializeAddon } {
  const term = new xtermHeadless.Terminal({ cols, rows, scrollback: 1000, allowProposedApi: true });
  const ser = new SerializeAddon();
  term.loadAddon(ser);
  const seen: string[] = [];
  titles.set(term, seen);
  term.onTitleChange((t) => seen.push(t));
  return { term, ser };
}

/** Everything a screen shows and keeps: the serialization, every row with its wrap flag, the cursor. */
function stateOf(term: Term, ser: SerializeAddon): object {
  const b = term.buffer.active;
  const rows: string[] = [];
  for (let y = 0; y < b.length; y++) {
    const line = b.getLine(y)!;
    rows.push(`${line.isWrapped ? 'w' : '-'}${line.translateToString(false)}`);
  }
  return { serialized: ser.serialize(), titles: titles.get(term), rows, x: b.cursorX, y: b.cursorY, baseY: b.baseY, length: b.length, type: b.type };
}

/** The screen after `chunks` written as they are, and after the same chunks through the feed. */
async function both(chunks: Buffer[], cols = 80, rows = 24) {
  const plain = makeTerm(cols, rows);
  for (const c of chunks) plain.term.write(c);
  await new Promise<void>((r) => plain.term.write('', r));

  const fed = makeTerm(cols, rows);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  let parsed = 0;
  let written = 0;
  const feed = createScreenFeed(fed.term, {
    write: (data, callback) => {
      written += data.length;
      fed.term.write(data, callback);
    },
    onParsed: (bytes) => (parsed += bytes),
    holdMs: 60_000,
  });
  // Batches arrive while earlier ones are still being parsed, as on the screen thread, and now and
  // then after xterm had time to parse (its writes run on a timer): the feed checks the state there.
  for (const [i, c] of chunks.entries()) {
    feed.push(new Uint8Array(c));
    if (i % 3 === 2) await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise<void>((r) => fed.term.write('', r));
  feed.release();
  await new Promise<void>((r) => fed.term.write('', r));
  const result = { plain: stateOf(plain.term, plain.ser), fed: stateOf(fed.term, fed.ser), parsed, total, written };
  plain.term.dispose();
  fed.term.dispose();
  return result;
}

function cut(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

/** Deterministic base64-looking lines (the bench's flood has this shape). */
function flood(lines: number, eol = '\r\n', width = 76, seed = 1): string {
  let s = seed;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < lines; i++) {
    let line = '';
    const n = width - (i % 7);
    for (let j = 0; j < n; j++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      line += alphabet[s % 64];
    }
    out += line + eol;
  }
  return out;
}

const CASES: Record<string, string> = {
  'base64 lines, CR LF': flood(5000),
  'bare LF (the column carries over)': `abc${flood(3000, '\n', 30)}`,
  'lines longer than the row (autowrap)': flood(2500, '\r\n', 200),
  'a background colour set before (erased rows take it)': `\x1b[44m${flood(3000)}\x1b[0mend`,
  'a scroll region': `\x1b[5;20r\x1b[10;1H${flood(3000)}tail`,
  'the alternate screen': `\x1b[?1049h${flood(3000)}\x1b[?1049lback`,
  'inside an OSC string': `\x1b]0;${flood(1500)}\x07${flood(1500)}`,
  'inside a title (OSC 0)': `\x1b]0;${flood(3000)}\x07${flood(1500)}`,
  'inside a DCS string': `\x1bP${flood(1500)}\x1b\\${flood(1500)}`,
  'a partial UTF-8 character before': `\xe2\x82${flood(3000)}`,
  'insert mode, no autowrap, new-line mode': `x\x1b[4h${flood(1500, '\r\n', 100)}\x1b[4l\x1b[?7l${flood(1500, '\r\n', 100)}\x1b[?7h\x1b[20h${flood(1500, '\n')}`,
  'tabs and carriage returns without line feeds': Array.from({ length: 3000 }, (_, i) => `\t${i}%\r\t\t${'#'.repeat(i % 50)}\r\n`).join(''),
  'only empty lines after the text, then a repeat': `${flood(2000)}${'\r\n'.repeat(3000)}\x1b[5b`,
  'text, a flood, a repeat of the last character': `${flood(4000)}\x1b[7bafter`,
  'cursor saved before': `\x1b[5;5Hsaved\x1b7${flood(3000)}\x1b8restored`,
  'screen cleared in the middle': `${flood(2000)}\x1b[2J\x1b[H${flood(2000)}`,
};

describe('screen feed: plain floods dropped unparsed, the screen unchanged', () => {
  for (const [name, text] of Object.entries(CASES)) {
    it(`${name}: the same screen, cut in 4095, 65536 and uneven pieces`, async () => {
      const data = Buffer.from(text, 'latin1');
      for (const size of [4095, 65536, 1000 + (data.length % 7919)]) {
        const r = await both(cut(data, size));
        expect(r.fed, `${name} / ${size}`).toEqual(r.plain);
        expect(r.parsed).toBe(r.total);
      }
    });
  }

  it('a plain flood is mostly dropped, its last lines parsed', async () => {
    const data = Buffer.from(flood(20_000));
    const r = await both(cut(data, 65536));
    expect(r.fed).toEqual(r.plain);
    expect(r.parsed).toBe(data.length);
    // Only the last ~scrollback + 2 rows lines, and the first held batch, reached the parser.
    expect(r.written).toBeLessThan(200 * 1024);
  });

  it('nothing is dropped where the state does not allow it', async () => {
    for (const prefix of ['\x1b[5;20r', '\x1b[?1049h', '\x1b]0;']) {
      const data = Buffer.from(prefix + flood(5000));
      const r = await both(cut(data, 65536));
      expect(r.fed).toEqual(r.plain);
      expect(r.written, prefix).toBe(data.length);
    }
  });

  it('relay commands in a flood, through the screen thread: none dropped, the snapshot exact', async () => {
    const commands: string[] = [];
    const screen = new HeadlessScreen(80, 24, { onCommands: (c) => commands.push(...c.map((x) => (x.type === 'message' ? x.body : x.type))) });
    const plain = makeTerm(80, 24);
    try {
      const parts: Buffer[] = [];
      for (let i = 0; i < 5; i++) parts.push(Buffer.from(`${flood(3000, '\r\n', 76, i + 2)}->relay:Bob message ${i}\r\n`));
      const all = Buffer.concat(parts);
      for (const c of cut(all, 4096)) screen.write(c);
      await screen.flushCommands();
      const snap = await screen.snapshot();
      plain.term.write(all);
      await new Promise<void>((r) => plain.term.write('', r));
      expect(snap.offset).toBe(all.length);
      expect(snap.data).toBe(plain.ser.serialize());
      expect(commands).toEqual([0, 1, 2, 3, 4].map((i) => `message ${i}`));
    } finally {
      screen.dispose();
      plain.term.dispose();
    }
  });
});
