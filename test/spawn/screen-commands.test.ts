import { describe, expect, it } from 'vitest';
import { detectAll, startDetector } from './screen-detect';

// Relay commands read from the rendered screen (server/relay-commands/screen-detector.mjs), fed
// through a real headless xterm in this process. The clock stands still unless a test moves it, so
// visible lines are acted on when the run finishes (or when they scroll into the scrollback).

const msg = (to: string, body: string, thread?: string) => ({ type: 'message', to, body, ...(thread ? { thread } : {}) });

/** Rows as a greedy word wrapper draws a paragraph `width` wide: `● ` before the first, `  ` before the rest (Claude Code's layout). */
function wrapped(text: string, width: number): string[] {
  const rows: string[] = [];
  let row = '● ';
  let words = 0;
  for (const word of text.split(' ')) {
    if (words > 0 && row.length + 1 + word.length > width) {
      rows.push(row);
      row = '  ';
      words = 0;
    }
    row += (words > 0 ? ' ' : '') + word;
    words++;
  }
  rows.push(row);
  return rows;
}

describe('screen commands: what a line must look like', () => {
  it('finds an inline message on a line of its own', async () => {
    expect(await detectAll(['hello\r\n->relay:Bob please review\r\nbye\r\n'])).toEqual([msg('Bob', 'please review')]);
  });

  it('reads a thread, a broadcast and leading decoration (bullets, boxes, quotes, list dashes, indentation)', async () => {
    const lines = ['⏺ ->relay:Bob [thread:t-1] on it', '  ->relay:* all hands', '● ->relay:Ann one', '│ ->relay:Ann two', '> ->relay:Ann three', '- ->relay:Ann four', '▎ ->relay:Ann five'];
    expect(await detectAll([lines.join('\r\n') + '\r\n'])).toEqual([
      msg('Bob', 'on it', 't-1'), msg('*', 'all hands'), msg('Ann', 'one'), msg('Ann', 'two'), msg('Ann', 'three'), msg('Ann', 'four'), msg('Ann', 'five'),
    ]);
  });

  it('ignores commands inside prose, numbered lists and injected message echoes', async () => {
    expect(await detectAll(['I will send ->relay:Bob hi\r\n', '1. ->relay:Bob no\r\n', 'Relay message from Ann [12345678]: ->relay:Bob hi\r\n'])).toEqual([]);
  });

  it('reads text drawn with cursor moves instead of spaces and newlines (Claude Code)', async () => {
    // As Claude Code 2.1.197 draws a model's line: a space is a cursor jump, the line is left with CR + cursor down.
    expect(await detectAll(['\r\x1b[2C\x1b[1B->relay:Bob\x1b[15Ghello-via-output\r\x1b[1B'])).toEqual([msg('Bob', 'hello-via-output')]);
  });

  it('ignores colours and OSC titles, split anywhere', async () => {
    const out = await detectAll(['\x1b]0;title\x07\x1b[1;3', '2m->re', 'lay:\x1b[0mBob \x1b[36mcoloured\x1b[0m body\r', '\n']);
    expect(out).toEqual([msg('Bob', 'coloured body')]);
  });

  it('decodes UTF-8 split across writes', async () => {
    const bytes = Buffer.from('->relay:Bob héllo ✓ 日本\r\n');
    expect(await detectAll([bytes.subarray(0, 16), bytes.subarray(16)])).toEqual([msg('Bob', 'héllo ✓ 日本')]);
  });

  it('reads a multi-line message, with the indentation of its first line taken off every line', async () => {
    expect(await detectAll(['->relay:Bob [thread:x] <<<\r\nline one\r\n', '  indented\r\n>>>\r\n'])).toEqual([msg('Bob', 'line one\n  indented', 'x')]);
    expect(await detectAll(['  ->relay:Bob <<<\r\n  line one\r\n\r\n    indented\r\n  >>>\r\n'])).toEqual([msg('Bob', 'line one\n\n  indented')]);
  });

  it('reads spawn, release and relay-file', async () => {
    expect(await detectAll(['->relay:spawn Worker1 claude "fix the \\"tests\\""\r\n', '->relay:release Worker1\r\n', '->relay-file:msg-7\r\n'])).toEqual([
      { type: 'spawn', name: 'Worker1', cli: 'claude', task: 'fix the "tests"' },
      { type: 'release', name: 'Worker1' },
      { type: 'relay-file', id: 'msg-7' },
    ]);
  });

  it('joins a long line the terminal wrapped', async () => {
    const body = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    expect(await detectAll([`->relay:Bob ${body}\r\n`], { cols: 40 })).toEqual([msg('Bob', body)]);
    // Wrapped right inside `->relay` (after `-`, after `->`, after `->r`).
    for (const pad of [19, 18, 17]) expect(await detectAll([`${' '.repeat(pad)}->relay:Bob split\r\n`], { cols: 20 })).toEqual([msg('Bob', 'split')]);
  });

  it('joins a long line the program word-wrapped itself, and keeps a deliberate line break', async () => {
    const body = 'this message is long enough that it wraps onto a second and a third row of forty columns';
    const rows = wrapped(`->relay:Bob ${body}`, 40);
    expect(rows.length).toBe(3);
    // A row ending exactly at the last column, as Claude Code fills them.
    const fullBody = `${'abcd '.repeat(5)}x next`;
    const full = wrapped(`->relay:Ann ${fullBody}`, 40);
    expect(full[0]).toHaveLength(40);
    const lines = [...rows, ...full, '  ->relay:Ann short', '  next line stays separate'];
    expect(await detectAll([lines.join('\r\n') + '\r\n'], { cols: 40 })).toEqual([
      msg('Bob', body), msg('Ann', fullBody), msg('Ann', 'short'),
    ]);
  });

  it('joins rows the program wrapped for the width the terminal had before a resize (Codex redraws in its old layout)', async () => {
    const body = 'this message is long enough that it wraps onto a second and a third row of forty columns';
    const rows = wrapped(`->relay:Bob ${body}`, 40);
    const run = startDetector({ cols: 40, rows: 10 });
    await run.write(`\x1b[2J\x1b[H${rows.join('\r\n')}\r\n`);
    await run.scan();
    run.clock.now += 1000;
    await run.scan();
    expect(run.commands).toEqual([msg('Bob', body)]);
    // Wider: the program draws the same 40-column rows again (a repaint), before it reflows them.
    await run.resize(100, 10);
    await run.write(`\x1b[2J\x1b[H${rows.join('\r\n')}\r\n`);
    run.clock.now += 1000;
    await run.scan();
    // A row broken on purpose is still a line of its own: its next word would have fitted at 40 too.
    await run.write('\r\n  ->relay:Ann short\r\n  next line stays separate\r\n');
    expect(await run.finish()).toEqual([msg('Bob', body), msg('Ann', 'short')]);
  });

  it('does not mistake the word-wrapped end of a sentence for a command', async () => {
    const rows = wrapped('I will now tell Bob what to do, like ->relay:Bob hi', 40);
    expect(rows[1]).toMatch(/^ {2}->relay:Bob hi$/);
    expect(await detectAll([rows.join('\r\n') + '\r\n'], { cols: 40 })).toEqual([]);
  });

  it('skips very long lines without acting on them', async () => {
    expect(await detectAll(['x'.repeat(300_000), '\r\n->relay:Bob ok\r\n'])).toEqual([msg('Bob', 'ok')]);
  });
});

describe('screen commands: when a line is complete', () => {
  it('waits while the cursor is still on the line (streamed output), however long', async () => {
    const run = startDetector({ settleMs: 300 });
    await run.write('->relay:Bob hel');
    run.clock.now = 5000;
    await run.scan();
    expect(run.commands).toEqual([]);
    await run.write('lo world\r\n');
    run.clock.now = 5400;
    await run.scan();
    expect(run.commands).toEqual([msg('Bob', 'hello world')]);
    expect(await run.finish()).toEqual([msg('Bob', 'hello world')]);
  });

  it('waits for a line a TUI drew and left to stay unchanged for the settle time', async () => {
    const run = startDetector({ settleMs: 300 });
    // Drawn, then the cursor jumps to a spinner line below, as a live region's frame ends.
    await run.write('\x1b[H->relay:Bob hel\x1b[3;1H⠋ thinking');
    run.clock.now = 200;
    await run.scan();
    expect(run.commands).toEqual([]);
    // The next frame completes the line (cursor up, rewrite).
    await run.write('\x1b[1;1H->relay:Bob hello\x1b[3;1H⠙ thinking');
    run.clock.now = 400;
    await run.scan();
    expect(run.commands).toEqual([]);
    run.clock.now = 800;
    await run.scan();
    expect(run.commands).toEqual([msg('Bob', 'hello')]);
    expect(await run.finish()).toEqual([msg('Bob', 'hello')]);
  });

  it('sees a line repainted in place with \\r (spinner) once, in its final form', async () => {
    expect(await detectAll(['⠋ ->relay:Bob draft\r\x1b[K->relay:Bob final text\r\n'])).toEqual([msg('Bob', 'final text')]);
  });
});

describe('screen commands: once-only', () => {
  it('acts once when a TUI redraws the same command line (cursor up + erase), and after a clear screen', async () => {
    const frame = '->relay:Bob ship it\r\n\x1b[2m> thinking\x1b[0m\r\n';
    const redraw = '\x1b[2K\x1b[1A\x1b[2K\x1b[1A\x1b[2K\x1b[G';
    const chunks = [frame, redraw + frame, redraw + frame, '\x1b[2J\x1b[H' + frame];
    expect(await detectAll(chunks)).toEqual([msg('Bob', 'ship it')]);
    // Also when each frame is read as it is drawn (lines complete at once).
    expect(await detectAll(chunks, { settleMs: 0 })).toEqual([msg('Bob', 'ship it')]);
  });

  it('acts once on a live region repainted every frame for many frames (Ink)', async () => {
    const frames = Array.from({ length: 60 }, (_, i) => `\x1b[4A\r● ->relay:Bob steady\x1b[K\r\n\r\n${'⠋⠙⠹⠸'[i % 4]} working ${i}s\x1b[K\r\n\r\n`);
    expect(await detectAll(['\r\n\r\n\r\n\r\n', ...frames])).toEqual([msg('Bob', 'steady')]);
    expect(await detectAll(['\r\n\r\n\r\n\r\n', ...frames], { settleMs: 0 })).toEqual([msg('Bob', 'steady')]);
  });

  it('sends a deliberately repeated command printed again in plain output, and two copies drawn in one frame', async () => {
    expect(await detectAll(['->relay:Bob ping\r\n', 'work...\r\n', '->relay:Bob ping\r\n'])).toHaveLength(2);
    expect(await detectAll(['\x1b[H->relay:Bob same\r\n->relay:Bob same\r\n'])).toHaveLength(2);
  });

  it('a reprint of two identical copies after a redraw is two repaints, not one repaint and one new copy', async () => {
    const two = '->relay:Bob same\r\n->relay:Bob same\r\n';
    expect(await detectAll([two, '\x1b[2J\x1b[H' + two, '\x1b[2J\x1b[H' + two])).toHaveLength(2);
    expect(await detectAll([two, '\x1b[2J\x1b[H' + two, '\x1b[2J\x1b[H' + two], { settleMs: 0 })).toHaveLength(2);
  });

  it('forgets a command after the memory window, except while a full redraw reprints the screen', async () => {
    const run = startDetector();
    await run.write('->relay:Bob x\r\n');
    run.clock.now = 1000;
    await run.scan();
    // Drawn again after a redraw, but long after: sent again.
    run.clock.now = 12 * 60_000;
    await run.write('\x1b[1A\r\n->relay:Bob x\r\n');
    run.clock.now += 1000;
    await run.scan();
    expect(run.commands).toEqual([msg('Bob', 'x'), msg('Bob', 'x')]);
    // Much later a resize: the program reprints its whole transcript, both old copies included.
    run.clock.now = 40 * 60_000;
    await run.resize(60, 24);
    await run.write('\x1b[H\x1b[2J->relay:Bob x\r\n->relay:Bob x\r\n');
    run.clock.now += 1000;
    expect(await run.finish()).toEqual([msg('Bob', 'x'), msg('Bob', 'x')]);
  });

  it('does not act again on lines a resize rewraps (plain output)', async () => {
    const run = startDetector({ cols: 40 });
    const body = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');
    await run.write(`->relay:Bob ${body}\r\n->relay:Ann short\r\n$ `);
    run.clock.now = 1000;
    await run.scan();
    expect(run.commands).toHaveLength(2);
    await run.resize(25, 24);
    await run.resize(100, 30);
    run.clock.now = 5000;
    await run.write('more output\r\n');
    expect(await run.finish()).toEqual([msg('Bob', body), msg('Ann', 'short')]);
  });

  it('reads the alternate screen, once, and what was there before after leaving it', async () => {
    const run = startDetector();
    await run.write('->relay:Bob before\r\n');
    await run.write('\x1b[?1049h\x1b[H->relay:Bob in alt\r\n');
    await run.write('\x1b[H->relay:Bob in alt\r\n\x1b[H->relay:Bob in alt\r\n');
    await run.write('\x1b[?1049l');
    await run.write('after\r\n');
    expect(await run.finish()).toEqual([msg('Bob', 'before'), msg('Bob', 'in alt')]);
  });

  it('an unclosed multi-line message stops swallowing later lines after openBlockMs', async () => {
    const run = startDetector({ openBlockMs: 1000 });
    // Claude Code shows a `>>>` line outside a code fence as an (empty) quote: the block never closes.
    await run.write('● ->relay:Bob <<<\r\n  line one\r\n\r\n\r\n');
    run.clock.now = 500;
    await run.write('● ->relay:Ann later\r\n');
    await run.scan();
    expect(run.commands).toEqual([]);
    run.clock.now = 1600;
    await run.scan();
    run.clock.now = 2000;
    await run.scan();
    expect(await run.finish()).toEqual([msg('Ann', 'later')]);
  });
});

describe('screen commands: floods and scrolling', () => {
  const numbered = (n: number, every: number) =>
    Array.from({ length: n }, (_, i) => (i % every === every - 1 ? `->relay:Bob n${i}\r\n` : `${i}\r\n`)).join('');

  it('finds every command in a flood of short lines, many times the scrollback, in one write', async () => {
    const text = numbered(20_000, 997);
    const expected = Array.from({ length: 20 }, (_, k) => msg('Bob', `n${k * 997 + 996}`));
    expect(await detectAll([text])).toEqual(expected);
    expect(await detectAll([text], { scrollback: 100 })).toEqual(expected);
  });

  it('finds every command in a flood fed in PTY-sized and batch-sized writes', async () => {
    const bytes = Buffer.from(numbered(20_000, 499));
    const expected = Array.from({ length: 40 }, (_, k) => msg('Bob', `n${k * 499 + 498}`));
    for (const size of [4095, 65_536]) {
      const chunks = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      expect(await detectAll(chunks)).toEqual(expected);
    }
  });

  it('a flood of plain output with no `>` is not read at all, and a command after it is', async () => {
    const plain = Array.from({ length: 5000 }, (_, i) => `plain ${i} abcdefghijklmnopqrstuvwxyz+/=`).join('\r\n');
    expect(await detectAll([plain, '\r\n->relay:Bob end\r\n'])).toEqual([msg('Bob', 'end')]);
  });
});

describe('screen commands: the same commands however the output is split', () => {
  const plain = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} line ${i} ok é\r\n`).join('');
  // Each case runs once as a single write, then cut at many positions; the commands must be the
  // same every time, and the single write gives the commands listed.
  const cases: Record<string, [string, unknown[]]> = {
    'a command between plain lines': [plain(5, 'a') + '->relay:Bob hi there\r\n' + plain(5, 'b'), [msg('Bob', 'hi there')]],
    'ANSI inside a command line': [plain(3, 'a') + '\x1b[1m->re\x1b[0mlay:Bob bold\r\n' + plain(3, 'b'), [msg('Bob', 'bold')]],
    'an OSC string that spans newlines': [plain(2, 'a') + '\x1b]0;x\ny\n->relay:Bob no\n\x07\r' + plain(2, 'b') + '->relay:Bob yes\r\n', [msg('Bob', 'yes')]],
    'C1 CSI (U+009B) in plain lines': [plain(2, 'a') + '\u009b2J' + plain(3, 'b') + '->relay:Bob x\r\n' + '\u009bA' + '->relay:Bob x\r\n', [msg('Bob', 'x')]],
    'a repaint after plain lines is dropped, a resend without one is kept':
      ['->relay:Bob same\r\n' + plain(4, 'a') + '\x1b[2A' + plain(2, 'b') + '->relay:Bob same\r\n' + plain(4, 'c') + '->relay:Bob same\r\n', [msg('Bob', 'same'), msg('Bob', 'same')]],
    'a multi-line block with plain lines inside': [plain(2, 'a') + '->relay:Bob <<<\r\n' + plain(4, 'in') + '>>>\r\n' + plain(2, 'b'), [msg('Bob', plain(4, 'in').replace(/\r\n$/, '').replace(/\r\n/g, '\n'))]],
    'a command finished after \\r overwrites': [plain(2, 'a') + 'xxxxxxxxxxxxxx\r->relay:Bob over\r\n' + plain(2, 'b'), [msg('Bob', 'over')]],
    'multi-byte UTF-8 around newlines': [plain(2, 'ü') + '✓✓\r\n->relay:Bob ✓ done\r\n' + plain(2, '✓'), [msg('Bob', '✓ done')]],
    'a TUI frame repainting a command in place': [
      '\r\n\r\n\r\n' + Array.from({ length: 8 }, (_, i) => `\x1b[3A\r● ->relay:Ann frame\x1b[K\r\n\r\n· ${i}\x1b[K\r\n`).join(''), [msg('Ann', 'frame')]],
    'commands scrolling off while a live region repaints below': [
      Array.from({ length: 40 }, (_, i) => `\x1b[1A\r\x1b[J${i % 10 === 0 ? `->relay:Bob s${i}` : `out ${i}`}\r\n\r\n· spin ${i}`).join(''),
      [0, 10, 20, 30].map((i) => msg('Bob', `s${i}`))],
  };

  for (const [what, [text, expected]] of Object.entries(cases)) {
    // Lines waiting to settle until the end (a fast writer), and lines read the moment they are complete.
    for (const settleMs of [300, 0]) {
      it(`gives the same commands for any split: ${what}${settleMs ? '' : ' (read at once)'}`, async () => {
        const bytes = Buffer.from(text);
        const whole = await detectAll([bytes], { rows: 10, settleMs });
        expect(whole).toEqual(expected);
        const step = Math.max(1, Math.floor(bytes.length / 40));
        for (let a = 1; a < bytes.length; a += step) {
          expect(await detectAll([bytes.subarray(0, a), bytes.subarray(a)], { rows: 10, settleMs })).toEqual(whole);
          const b = a + ((a * 7) % 97) + 1;
          if (b < bytes.length) expect(await detectAll([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)], { rows: 10, settleMs })).toEqual(whole);
        }
      });
    }
  }
});
